// Logs: the core's tracing events reach a setLogger function (level, target, message, fields,
// time), or stderr filtered by RUST_LOG when none is set; a secret handed to an executor never
// appears in any record. The logger is process-wide: the stderr cases run in child processes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setImmediate as turn } from 'node:timers/promises'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock, setLogger } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const addon = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'index.js')
const SECRET = 'tr4in-yard-s3cret-9000'

/** Lets queued records reach the logger: they are delivered on later turns of the event loop. */
async function until(records, predicate) {
  for (let i = 0; i < 1000 && !records.some(predicate); i++) await turn()
  return records.find(predicate)
}

test('records arrive with level, target, message, fields and time; fields include the command span', async (t) => {
  const records = []
  setLogger((record) => records.push(record), { level: 'trainyard=debug' })
  t.after(() => setLogger(null))
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess({ id: 'logged', phases: [{ id: 'p', activities: [{ id: 'm', kind: 'manual' }] }] })
  const registered = await until(records, (r) => r.message === 'process registered')
  assert.ok(registered, `no 'process registered' record among ${JSON.stringify(records)}`)
  assert.deepEqual(Object.keys(registered), ['level', 'target', 'message', 'fields', 'time'])
  assert.equal(registered.level, 'info')
  assert.match(registered.target, /^trainyard::/)
  assert.deepEqual(registered.fields, { process: 'logged', version: 1 })
  assert.ok(registered.time instanceof Date)
  const r = e.createRelease('logged', { name: 'R', actor: rita })
  assert.ok(await until(records, (x) => x.message === 'release created' && x.fields.release === r.id))
})

test('a secret handed to an executor appears in no record, at any level', async (t) => {
  const records = []
  setLogger((record) => records.push(record), { level: 'trace' })
  t.after(() => setLogger(null))
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.setSecretResolver({ token: SECRET })
  const seen = []
  e.registerExecutor('js', (job) => {
    seen.push(job.inputs.header)
    return { echoed: job.inputs.header }
  })
  e.registerCommandExecutor('command')
  e.registerProcess({
    id: 'secretive',
    inputs: { token: { type: 'secret', default: 'secret://token' } },
    phases: [{ id: 'p', activities: [
      { id: 'js', kind: 'automated', executor: 'js', outputs: ['echoed'], with: { header: 'Bearer ${inputs.token}' } },
      { id: 'cmd', kind: 'automated', executor: 'command', depends_on: ['js'],
        with: { argv: ['sh', '-c', 'echo "$TOKEN" >&2; exit 3'], env: { TOKEN: '${inputs.token}' } } },
    ] }],
  })
  const r = e.createRelease('secretive', { name: 'S', actor: rita })
  e.activate(r.id, { actor: rita })
  await e.runUntilIdleAsync()
  assert.deepEqual(seen, [`Bearer ${SECRET}`], 'the executor got the value')
  assert.equal(e.getRelease(r.id).phases.p.activities.cmd.status, 'on_hold', 'the command failed (its stderr held the secret)')
  const failed = await until(records, (x) => x.message === 'command failed')
  assert.ok(failed, `no 'command failed' record among ${JSON.stringify(records)}`)
  assert.equal(failed.fields.job, `${r.id}/p/cmd/0`)
  assert.ok(records.some((x) => x.message === 'command started' && x.level === 'debug'))
  const text = JSON.stringify(records)
  assert.ok(!text.includes(SECRET), 'the secret value appears in no record')
})

test('bad arguments to setLogger are invalid_input', () => {
  for (const [args, path] of [[[42], 'logger'], [[() => {}, { level: 'info=verbose=x' }], 'options.level'], [[() => {}, { lvl: 'x' }], 'options.lvl']]) {
    const err = thrown(() => setLogger(...args))
    assert.equal(err.code, 'invalid_input', err.message)
    assert.deepEqual(err.problems.map((p) => p.path), [path])
  }
})

/** Registers a process in a child process with this environment; returns its stderr. */
function stderrOf(env) {
  const code = `const { Engine } = require(${JSON.stringify(addon)})
    Engine.inMemory().registerProcess({ id: 'quiet', phases: [{ id: 'p', activities: [{ id: 'm', kind: 'manual' }] }] })`
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } })
  assert.equal(result.status, 0, result.stderr)
  return result.stderr
}

test('without a logger, records go to stderr filtered by RUST_LOG (errors only when unset)', () => {
  const { RUST_LOG, ...rest } = process.env
  void RUST_LOG
  const loud = stderrOf({ RUST_LOG: 'trainyard=info' })
  assert.match(loud, / INFO trainyard::[\w:]+: process registered process="quiet" version=1/)
  const quiet = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)}).Engine.inMemory().registerProcess({ id: 'q', phases: [{ id: 'p', activities: [{ id: 'm', kind: 'manual' }] }] })`], {
    encoding: 'utf8',
    timeout: 30_000,
    env: rest,
  })
  assert.equal(quiet.status, 0)
  assert.equal(quiet.stderr, '')
})
