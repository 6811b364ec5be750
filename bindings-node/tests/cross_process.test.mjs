// Every process sees every commit: this Node process watches the feed while a Python worker process
// (tests/fixtures/feed_worker.py, the Python API only) creates, activates and approves 1,000
// releases on the same store. The watcher sees every change exactly once, in per-release order —
// on one SQLite file, and on PostgreSQL with the worker spread over two engines.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot, trainyard } from './helpers.mjs'

const { Engine } = trainyard
const RELEASES = 1000

/** The repository's virtualenv Python with `trainyard` installed (`make python-develop`). */
function python() {
  const bin = join(repoRoot, '.venv', process.platform === 'win32' ? 'Scripts' : 'bin', 'python')
  assert.ok(
    existsSync(bin),
    `no Python virtualenv at ${bin}: run \`make python-develop\` (make test runs python-test before node-test)`,
  )
  const found = spawnSync(bin, ['-c', 'import trainyard'], { encoding: 'utf8' })
  assert.equal(found.status, 0, `trainyard is not installed in ${bin}: run \`make python-develop\`\n${found.stderr}`)
  return bin
}

/** Runs the Python worker; resolves to its JSON output (release id → last event seq). */
function worker(url, count, engines) {
  return new Promise((resolve, reject) => {
    const child = spawn(python(), [join(repoRoot, 'bindings-node', 'tests', 'fixtures', 'feed_worker.py'), url, String(count), String(engines)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the Python worker exited with ${code}:\n${err}`))
      try {
        resolve(JSON.parse(out))
      } catch (e) {
        reject(new Error(`the Python worker printed no JSON (${e.message}):\n${out}\n${err}`))
      }
    })
  })
}

/** Watches `engine` from now on while the worker runs; checks exactly once and per-release order. */
async function watchWhileWorking(engine, url, engines) {
  const watch = engine.watch({ filter: { processes: ['xproc'] } })
  const seen = new Map()
  const cursors = new Set()
  let ended = 0
  const done = worker(url, RELEASES, engines)
  let finished = null
  // A failed worker ends the watch, and the failure is reported below.
  done.then((last) => (finished = last), () => watch.close())
  for await (const e of watch) {
    assert.ok(!cursors.has(e.cursor), `cursor ${e.cursor} seen twice`)
    cursors.add(e.cursor)
    const list = seen.get(e.release) ?? []
    list.push(e)
    seen.set(e.release, list)
    if (e.statusAfter === 'success') ended += 1
    if (ended === RELEASES) break
  }
  const last = finished ?? (await done)
  assert.equal(Object.keys(last).length, RELEASES)
  assert.equal(seen.size, RELEASES)
  for (const [id, entries] of seen) {
    assert.equal(entries[0].seqFrom, 1, `${id}: its first change is its creation`)
    for (let i = 1; i < entries.length; i++) {
      assert.equal(entries[i].seqFrom, entries[i - 1].seqTo + 1, `${id}: in order, without gap or repeat`)
    }
    assert.equal(entries.at(-1).seqTo, last[id], `${id}: every change up to its last event`)
    assert.equal(entries.at(-1).statusAfter, 'success')
  }
  // Nothing more arrives for these releases: each was seen exactly once.
  const rest = engine.changes({ after: watch.cursor, filter: { processes: ['xproc'] }, limit: 1000 })
  assert.deepEqual(rest.entries, [])
}

test('a Node watcher sees every change of 1,000 releases a Python worker makes on one SQLite file', { timeout: 600_000 }, async () => {
  const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'trainyard-xproc-')), 'shared.db')}`
  const engine = await Engine.openAsync(url)
  await watchWhileWorking(engine, url, 1)
  engine.close()
})

const POSTGRES = process.env.TRAINYARD_TEST_POSTGRES
test(
  'the same on PostgreSQL, the worker spread over two engines',
  { timeout: 600_000, skip: POSTGRES ? false : 'TRAINYARD_TEST_POSTGRES is not set (CI sets it)' },
  async () => {
    const base = POSTGRES.includes('?') ? `${POSTGRES}&` : `${POSTGRES}?`
    const url = `${base}schema=nodefeed_xproc_${process.pid}_${Date.now()}`
    const engine = await Engine.openAsync(url)
    await watchWhileWorking(engine, url, 2)
    engine.close()
  },
)
