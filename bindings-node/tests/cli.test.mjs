// The package's `trainyard` bin (bin/trainyard.js → the native runCli) as a subprocess: help,
// `validate` with its exit codes and streams, and `run` / `watch` stopping cleanly on SIGINT and
// SIGTERM (the addon gives them their default disposition while the command runs, so Node's own
// handler does not end the process first).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, tempDir, trainyard } from './helpers.mjs'

const bin = join(repoRoot, 'bindings-node', 'bin', 'trainyard.js')
const GOOD = 'id: hello\nphases:\n  - id: build\n    activities: [{ id: compile, kind: manual }]\n'
const BAD = 'id: hello\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: manual, depends_on: [nope] }\n'
const rita = { id: 'rita', roles: ['account_release_manager'] }
const dir = tempDir('trainyard-cli-')
test.after(() => rmSync(dir, { recursive: true, force: true }))

function cli(args) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
}

/** Starts `trainyard args`; resolves with the child and its first line on `stream`. */
async function started(args, stream) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir })
  const lines = createInterface({ input: child[stream] })
  const [first] = await once(lines, 'line')
  lines.close()
  return { child, first }
}

async function exited(child) {
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  // readline paused the stream it read the first line from.
  child.stdout.resume()
  child.stderr.resume()
  const [code, signal] = await once(child, 'exit')
  return { code, signal, stdout, stderr }
}

test('--help and --version go to stdout with exit 0', () => {
  const help = cli(['--help'])
  assert.equal(help.status, 0, help.stderr)
  assert.equal(help.stderr, '')
  assert.ok(help.stdout.startsWith('The `trainyard` command: validate definitions'), help.stdout)
  assert.ok(help.stdout.includes('Usage: trainyard') && help.stdout.includes('  doctor '), help.stdout)
  const version = cli(['--version'])
  const { version: v } = JSON.parse(readFileSync(join(repoRoot, 'bindings-node', 'package.json'), 'utf8'))
  assert.deepEqual([version.status, version.stdout], [0, `trainyard ${v}\n`])
})

test('validate: exit 0, 1 (problems on stdout as JSON) and 2 (usage on stderr)', () => {
  writeFileSync(join(dir, 'good.yaml'), GOOD)
  writeFileSync(join(dir, 'bad.yaml'), BAD)
  assert.equal(cli(['validate', 'good.yaml']).status, 0)
  const bad = cli(['validate', '--format', 'json', 'bad.yaml'])
  assert.equal(bad.status, 1, bad.stderr)
  const errors = JSON.parse(bad.stdout).problems.filter((p) => p.severity === 'error')
  assert.deepEqual(errors.map((p) => [p.file, p.line, p.code]), [['bad.yaml', 5, 'unknown_dependency']])
  const usage = cli(['validate', '--format', 'yaml', 'bad.yaml'])
  assert.deepEqual([usage.status, usage.stdout], [2, ''])
  assert.match(usage.stderr, /invalid value 'yaml'/)
})

for (const sig of ['SIGINT', 'SIGTERM']) {
  test(`run stops cleanly on ${sig}`, async () => {
    const url = `sqlite://${join(dir, `run-${sig}.db`)}`
    trainyard.Engine.open(url).close()
    const { child, first } = await started(['--db', url, 'run', '--interval', '100ms', '--json'], 'stderr')
    assert.equal(first, 'trainyard engine running (SIGINT or SIGTERM stops it)')
    const done = exited(child)
    child.kill(sig)
    const { code, signal, stdout, stderr } = await done
    assert.deepEqual([code, signal], [0, null], stderr)
    assert.deepEqual(JSON.parse(stdout), { handled: 0 })
    assert.match(stderr, /^stopped after handling 0/)
  })
}

test('watch prints the entries and stops on SIGTERM', async () => {
  const url = `sqlite://${join(dir, 'watch.db')}`
  const e = trainyard.Engine.open(url)
  e.registerProcess(GOOD)
  const r = e.createRelease('hello', { name: 'R', actor: rita })
  e.close()
  const { child, first } = await started(['--db', url, 'watch', '--after', '0', '--json'], 'stdout')
  const entry = JSON.parse(first)
  assert.deepEqual([entry.release, entry.kinds], [r.id, ['created']])
  const done = exited(child)
  child.kill('SIGTERM')
  const { code, signal, stderr } = await done
  assert.deepEqual([code, signal, stderr], [0, null, ''])
})
