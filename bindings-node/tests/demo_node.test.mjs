// `make demo-node`: examples/node/release_train.mjs runs to the end with the first train in success.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './helpers.mjs'

test('examples/node/release_train.mjs: the two-week train ends in success', () => {
  const script = join(repoRoot, 'examples', 'node', 'release_train.mjs')
  const r = spawnSync(process.execPath, [script], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, `exit ${r.status}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`)
  assert.match(r.stdout, /deploy-prod0 +success .*\(attempt 2\)/)
  assert.match(r.stdout, /Hotfix: Security Patch CVE-2025-1234 \[success\]/)
  assert.match(r.stdout, /══ Release calendar, April 2025/)
  assert.match(r.stdout, /\d+ conflict\(s\)/)
  assert.match(r.stdout, /══ Audit trail of the first train/)
  assert.match(r.stdout, /approved qa-signoff\/signoff by quinn/)
  assert.match(r.stdout.trimEnd(), /first train: Week 15 System Release - April 2025 — success$/)
  const ics = join(repoRoot, 'target', 'demo-node', 'calendar.ics')
  assert.ok(existsSync(ics), 'calendar.ics written')
  assert.match(readFileSync(ics, 'utf8'), /BEGIN:VEVENT/)
})
