// `runUntilIdleAsync` returns only when every Promise-returning executor it started has settled and
// its outcome is committed, and the activity ends when its Promise settled, not when the outcome
// reached the store (the clock may have been advanced in between). The sync `runUntilIdle` runs on
// the JS thread, where no Promise can settle while it runs: its Promises are committed when they
// settle, stamped with that time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const DAY = 24 * 60 * 60 * 1000

/** A Promise that settles only after a timer and a chain of `setImmediate`s (event-loop turns). */
async function slowly(value, { ms = 15, turns = 40 } = {}) {
  await sleep(ms)
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
  return value
}

/** The README's first Node example, with an executor whose Promise takes many event-loop turns. */
function weekly(executor) {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine = Engine.inMemory({ clock })
  engine.registerExecutor('deploy', executor)
  engine.registerProcess(`
id: weekly
phases:
  - id: deploy
    activities: [{ id: rollout, kind: automated, executor: deploy, outputs: [url] }]
  - id: signoff
    depends_on: [deploy]
    not_before: 1d
    activities: [{ id: qa, kind: approval, approvers: [{ group: qa }] }]
`)
  const release = engine.createRelease('weekly', { name: 'Week 15', actor: rita })
  engine.schedule(release.id, { start: clock.now(), actor: rita })
  return { clock, engine, id: release.id }
}

test('runUntilIdleAsync waits for a pending executor Promise and commits it before it resolves', async () => {
  const { clock, engine, id } = weekly((job) => slowly({ url: `https://${job.phaseId}.example` }))
  await engine.runUntilIdleAsync()
  const rollout = engine.getRelease(id).phases.deploy.activities.rollout
  assert.equal(rollout.status, 'success', 'the Promise settled and its outcome is committed')
  assert.equal(rollout.outputs.url, 'https://deploy.example')
  clock.advance(DAY)
  await engine.runUntilIdleAsync()
  assert.equal(engine.getRelease(id).status, 'on_hold', 'not_before passed: the approval waits')
})

test('the activity ends when its Promise settled, even when the clock moved before the commit', async () => {
  let clock
  const made = weekly(async () => {
    const outputs = await slowly({ url: 'u' })
    const settledAt = clock.now()
    // Move the clock right after settling: the commit happens later, on a worker thread.
    setImmediate(() => clock.advance(60 * 60 * 1000))
    return { url: settledAt.toISOString() }
  })
  clock = made.clock
  await made.engine.runUntilIdleAsync()
  const release = made.engine.getRelease(made.id)
  const rollout = release.phases.deploy.activities.rollout
  assert.equal(rollout.status, 'success')
  assert.equal(rollout.endedAt.toISOString(), rollout.outputs.url, 'ended when the Promise settled')
  const succeeded = made.engine.history(made.id).find((e) => e.kind === 'activity_succeeded')
  assert.equal(succeeded.at.toISOString(), '2025-04-07T09:00:00.000Z')
})

test('one runUntilIdleAsync follows Promises that lead to more Promise work', async () => {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine = Engine.inMemory({ clock })
  const ran = []
  engine.registerExecutor('step', async (job) => {
    ran.push(job.phaseId)
    return slowly({}, { ms: 5, turns: 10 })
  })
  const phases = ['a', 'b', 'c'].map((id, i) => ({
    id,
    depends_on: i === 0 ? [] : [['a', 'b', 'c'][i - 1]],
    activities: [{ id: 'go', kind: 'automated', executor: 'step' }],
  }))
  engine.registerProcess({ id: 'chain', phases })
  const release = engine.createRelease('chain', { name: 'R', actor: rita })
  engine.activate(release.id, { actor: rita })
  await engine.runUntilIdleAsync()
  assert.deepEqual(ran, ['a', 'b', 'c'])
  assert.equal(engine.getRelease(release.id).status, 'success')
})

test('many releases at once: every Promise is committed when runUntilIdleAsync resolves', async () => {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine = Engine.inMemory({ clock })
  let n = 0
  engine.registerExecutor('work', () => slowly({}, { ms: 1 + (n++ % 7) * 3, turns: n % 13 }))
  engine.registerProcess({
    id: 'many',
    phases: [
      { id: 'one', activities: [{ id: 'x', kind: 'automated', executor: 'work' }] },
      { id: 'two', depends_on: ['one'], activities: [{ id: 'y', kind: 'automated', executor: 'work' }] },
    ],
  })
  const ids = []
  for (let i = 0; i < 30; i++) {
    const r = engine.createRelease('many', { name: `R${i}`, actor: rita })
    engine.activate(r.id, { actor: rita })
    ids.push(r.id)
  }
  await engine.runUntilIdleAsync()
  const statuses = ids.map((id) => engine.getRelease(id).status)
  assert.deepEqual(statuses, ids.map(() => 'success'))
})

test('a Promise that never settles stops being waited for once its attempt ends (abort)', async () => {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine = Engine.inMemory({ clock })
  engine.registerExecutor('stuck', () => new Promise(() => {}))
  engine.registerProcess({ id: 'p', phases: [{ id: 'a', activities: [{ id: 'x', kind: 'automated', executor: 'stuck' }] }] })
  const release = engine.createRelease('p', { name: 'R', actor: rita })
  engine.activate(release.id, { actor: rita })
  let resolved = false
  const idle = engine.runUntilIdleAsync().then((n) => {
    resolved = true
    return n
  })
  const deadline = Date.now() + 5000
  while (engine.getRelease(release.id).phases.a.activities.x.status !== 'running') {
    assert.ok(Date.now() < deadline, 'the executor started')
    await sleep(2)
  }
  // Let the event loop turn (settled Promises would be committed by now); no wall-clock wait.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  assert.equal(resolved, false, 'still waiting for the pending Promise')
  engine.abort(release.id, { actor: rita, reason: 'stuck' })
  assert.equal(await idle, 1)
  assert.equal(engine.getRelease(release.id).status, 'aborted')
})

test('the sync runUntilIdle commits a Promise when it settles, stamped with that time', async () => {
  let clock
  let at = null
  const made = weekly(async () => {
    await slowly(null)
    at = clock.now().toISOString()
    // Move the clock right after settling: the commit happens later, on a worker thread.
    setImmediate(() => clock.advance(60 * 60 * 1000))
    return { url: 'x' }
  })
  clock = made.clock
  made.engine.runUntilIdle()
  const deadline = Date.now() + 5000
  while (made.engine.getRelease(made.id).phases.deploy.activities.rollout.status === 'running') {
    assert.ok(Date.now() < deadline, 'the Promise settled and was committed')
    await sleep(2)
  }
  const rollout = made.engine.getRelease(made.id).phases.deploy.activities.rollout
  assert.equal(rollout.endedAt.toISOString(), at)
})
