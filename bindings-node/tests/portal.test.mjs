// The portal example (examples/portal) in a real browser: Debian's Chromium driven by
// playwright-core. Sign in from the query, click Approve in the inbox and see the release's new
// status pushed back over Server-Sent Events; then another process approves a second release on
// the same SQLite file and the browser shows it within a second, without reloading.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot, trainyard } from './helpers.mjs'

const { Engine } = trainyard
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const rita = { id: 'rita', roles: ['account_release_manager'] }

/** A SQLite store with two releases waiting for the `qa` group's approval, one for rita's notes. */
function store() {
  const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'trainyard-portal-')), 'portal.db')}`
  const engine = Engine.open(url)
  engine.registerProcess({
    id: 'gate',
    phases: [{ id: 'ship', activities: [{ id: 'ok', kind: 'approval', approvers: [{ group: 'qa' }] }] }],
  })
  engine.registerProcess({
    id: 'notes',
    phases: [{ id: 'build', activities: [{ id: 'notes', kind: 'manual', owners: ['rita'] }] }],
  })
  const start = (process, name) => {
    const r = engine.createRelease(process, { name, actor: rita })
    engine.activate(r.id, { actor: rita })
    return r.id
  }
  const ids = [start('gate', 'Week 15'), start('gate', 'Week 16')]
  const manual = start('notes', 'Release notes')
  engine.close()
  return { url, ids, manual }
}

/** Runs a second Node process that approves `id` on `url`; resolves when it exited. */
function approveElsewhere(url, id) {
  const index = join(repoRoot, 'bindings-node', 'index.js')
  const script = `
    const { Engine } = require(${JSON.stringify(index)})
    const engine = Engine.open(${JSON.stringify(url)})
    engine.approve(${JSON.stringify(id)}, 'ship', 'ok', { actor: { id: 'otto', groups: ['qa'] } })
    engine.close()`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the other process exited with ${code}`))))
  })
}

test('the portal in Chromium: Approve, the status pushed back over SSE, and another process seen live', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run \`make chromium\` (apt-get install -y chromium)`)
  const { chromium } = createRequire(import.meta.url)('playwright-core')
  const { startPortal } = await import(pathToFileURL(join(repoRoot, 'examples', 'portal', 'server.mjs')).href)
  const { url, ids } = store()
  const portal = await startPortal({ url, port: 0 })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${portal.address}/?actor=quinn&groups=qa`)
    await page.waitForSelector('#live.on', { timeout: 15_000 })
    const row = (id) => `tr[data-release="${id}"] .status`
    await page.waitForSelector(row(ids[0]), { timeout: 15_000 })
    assert.notEqual(await page.textContent(row(ids[0])), 'success')
    const item = `#inbox li[data-item="${ids[0]}/ship/ok"]`
    await page.waitForSelector(item, { timeout: 15_000 })
    assert.equal(await page.locator('#inbox li').count(), 2, 'both approvals wait for the qa group')
    await page.click(`${item} button.approve`)
    // The page reloads nothing after the click: the new status comes with the change event.
    await page.waitForSelector(`tr[data-release="${ids[0]}"] .s-success`, { timeout: 15_000 })
    await page.waitForSelector(item, { state: 'detached', timeout: 15_000 })
    assert.ok(await page.locator('#log li').count() >= 1, 'the change is in the live log')
    // A commit by another process on the same file reaches the browser within a second.
    await approveElsewhere(url, ids[1])
    await page.waitForSelector(`tr[data-release="${ids[1]}"] .s-success`, { timeout: 1000 })
    assert.deepEqual(errors, [])
    // The calendar and the release tree render.
    await page.click(`tr[data-release="${ids[1]}"]`)
    await page.waitForSelector('#detail-status.s-success', { timeout: 15_000 })
    assert.equal(await page.locator('#detail li[data-phase]').count(), 1)
    assert.match(await page.textContent('#month'), /^\d{4}-\d{2}$/)
  } finally {
    await browser.close()
    await portal.close()
  }
})

test('the portal API: the inbox needs an actor, bad decisions are coded errors', async () => {
  const { startPortal } = await import(pathToFileURL(join(repoRoot, 'examples', 'portal', 'server.mjs')).href)
  const { url, ids, manual } = store()
  const portal = await startPortal({ url, port: 0 })
  try {
    const inbox = await fetch(`${portal.address}/api/inbox`)
    assert.equal(inbox.status, 400)
    const mine = await (await fetch(`${portal.address}/api/inbox?actor=rita`)).json()
    assert.deepEqual(mine.map((i) => [i.releaseId, i.phaseId, i.activityId, i.kind]), [[manual, 'build', 'notes', 'manual']])
    const denied = await fetch(`${portal.address}/api/approve`, {
      method: 'POST',
      body: JSON.stringify({ releaseId: ids[0], phaseId: 'ship', activityId: 'ok', actor: { id: 'mallory' } }),
    })
    assert.equal(denied.status, 403)
    assert.equal((await denied.json()).error.code, 'permission_denied')
    const tree = await (await fetch(`${portal.address}/api/releases/${ids[0]}`)).json()
    assert.deepEqual(tree.phases.map((p) => p.id), ['ship'])
    assert.equal(typeof tree.phases[0].durationMs, 'number')
    const missing = await fetch(`${portal.address}/api/releases/nope`)
    assert.equal(missing.status, 404)
  } finally {
    await portal.close()
  }
})
