// Gate activities from Node: a waiting gate's `gateTargets` and `waitingOn`, the calendar's
// `waitsFor`, the gate opening when its target succeeds, and a skip that needs a reason (the rules
// are the core's; scenarios 52 and 53 run them in all three suites).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const start = new Date('2025-04-07T09:00:00Z')
const TARGET = { id: 'target', phases: [{ id: 'prod1', activities: [{ id: 'ok', kind: 'manual', owners: ['rita'] }] }] }
const WAITER = {
  id: 'waiter',
  inputs: { train: { type: 'string', required: true } },
  phases: [
    { id: 'wait', activities: [{ id: 'gate', kind: 'gate', targets: [{ release: '${inputs.train}', phase: 'prod1' }] }] },
    { id: 'deploy', depends_on: ['wait'], activities: [{ id: 'go', kind: 'manual', owners: ['rita'] }] },
  ],
}

function engine() {
  const e = Engine.inMemory({ clock: new ManualClock(start) })
  e.registerProcess(TARGET)
  e.registerProcess(WAITER)
  return e
}

const gateOf = (release) => release.phases.wait.activities.gate

test('a waiting gate shows its targets and opens when the target phase succeeds', () => {
  const e = engine()
  const t = e.createRelease('target', { name: 'train', actor: rita })
  e.activate(t.id, { actor: rita })
  const w = e.createRelease('waiter', { name: 'hotfix', actor: rita, inputs: { train: t.id } })
  e.schedule(w.id, { actor: rita, start: new Date(start.getTime() + 86_400_000), autoStart: false })
  const entry = e.calendar(start, new Date(start.getTime() + 7 * 86_400_000)).find((x) => x.releaseId === w.id)
  assert.deepEqual(entry.waitsFor, [t.id])
  e.activate(w.id, { actor: rita })
  let release = e.getRelease(w.id)
  assert.equal(gateOf(release).kind, 'gate')
  assert.equal(gateOf(release).status, 'running')
  assert.deepEqual(gateOf(release).gateTargets, [{ release: t.id, phase: 'prod1', activity: null, status: 'on_hold' }])
  assert.equal(release.waitingOn.kind, 'gate')
  e.completeManual(t.id, 'prod1', 'ok', { actor: rita, values: {} })
  release = e.getRelease(w.id)
  assert.equal(gateOf(release).status, 'success')
  assert.deepEqual(gateOf(release).gateTargets, [])
  assert.equal(gateOf(release).outputs.targets[0].status, 'success')
})

test('skipping a waiting gate needs a reason, and a watched release is not deletable', () => {
  const e = engine()
  const t = e.createRelease('target', { name: 'train', actor: rita })
  const w = e.createRelease('waiter', { name: 'hotfix', actor: rita, inputs: { train: t.id } })
  e.activate(w.id, { actor: rita })
  assert.throws(() => e.deleteRelease(t.id, { actor: rita }), (err) => err.code === 'invalid_transition' && err.message.includes(w.id))
  assert.throws(() => e.skip(w.id, 'wait', 'gate', { actor: rita, reason: ' ' }), (err) => err.code === 'invalid_input')
  e.skip(w.id, 'wait', 'gate', { actor: rita, reason: 'the train is cancelled' })
  assert.equal(gateOf(e.getRelease(w.id)).status, 'skipped')
  e.deleteRelease(t.id, { actor: rita })
})
