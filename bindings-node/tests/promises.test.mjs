// Before and after a release runs: automatic retention, archived releases off the calendar, drafts
// and scheduled releases that still change, release managers and stakeholders.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')
const DAY = 86_400_000
const V1 = {
  id: 'app',
  inputs: { version: { type: 'string', required: true } },
  phases: [{ id: 'deploy', activities: [{ id: 'go', kind: 'manual' }] }],
}
const V2 = {
  id: 'app',
  inputs: { version: { type: 'string', required: true }, region: { type: 'string', required: true } },
  phases: [{ id: 'build', activities: [{ id: 'go', kind: 'manual' }] }],
}

function setup() {
  const clock = new ManualClock(START)
  const engine = Engine.inMemory({ clock })
  engine.registerProcess(V1)
  return { clock, engine }
}

function shipped(engine) {
  const r = engine.createRelease('app', { name: 'r', actor: rita, inputs: { version: '1.0.0' } })
  engine.activate(r.id, { actor: rita })
  engine.completeManual(r.id, 'deploy', 'go', { actor: rita, values: {} })
  return r.id
}

for (const automatic of [true, false]) {
  test(`tick archives a release that ended 400 days ago (automatic: ${automatic})`, () => {
    const { clock, engine } = setup()
    engine.setRetention({ automatic })
    const old = shipped(engine)
    clock.advance(400 * DAY)
    engine.tick()
    assert.equal(engine.getRelease(old).archived, automatic)
    const [from, to] = [new Date(START.getTime() - 6 * DAY), new Date(START.getTime() + 24 * DAY)]
    assert.deepEqual(engine.calendar(from, to, {}).map((e) => e.releaseId), automatic ? [] : [old])
    assert.deepEqual(engine.calendar(from, to, { includeArchived: true }).map((e) => e.releaseId), [old])
  })
}

test('updateRelease lists every problem, switches the process and keeps the reason', () => {
  const { engine } = setup()
  engine.registerProcess(V2)
  const r = engine.createRelease('app', {
    name: 'r', actor: rita, inputs: { version: '1', region: 'eu' }, stakeholders: ['sam'],
  })
  assert.deepEqual([r.processVersion, r.releaseManagers, r.stakeholders], [2, ['rita'], ['sam']])
  const err = thrown(() => engine.updateRelease(r.id, { actor: rita, processVersion: 1, name: ' ', releaseManagers: [] }))
  assert.equal(err.code, 'invalid_input')
  assert.deepEqual(err.problems.map((p) => [p.path, p.code]).sort(), [
    ['inputs.region', 'unknown_input'], ['name', 'missing_field'], ['release_managers', 'missing_field'],
  ])
  engine.updateRelease(r.id, {
    actor: rita, processVersion: 1, inputs: { region: null }, kind: 'hotfix', start: new Date(START.getTime() + DAY),
    reason: 'v2 is not approved',
  })
  const s = engine.getRelease(r.id)
  assert.deepEqual([s.processVersion, Object.keys(s.phases), s.kind, s.inputs], [1, ['deploy'], 'hotfix', { version: '1' }])
  assert.equal(new Date(s.schedule.start).getTime(), START.getTime() + DAY)
  assert.equal(engine.history(r.id).at(-1).comment, 'v2 is not approved')
  assert.equal(engine.getRelease(r.id, { actor: { id: 'sam' } }).id, r.id, 'stakeholders may read it')
  assert.equal(thrown(() => engine.getRelease(r.id, { actor: { id: 'vic' } })).code, 'permission_denied')
})

test('a scheduled release refuses draft-only changes and takes the rest', () => {
  const { engine } = setup()
  const r = engine.createRelease('app', { name: 'r', actor: rita, inputs: { version: '1' } })
  engine.schedule(r.id, { actor: rita, start: new Date(START.getTime() + 2 * DAY) })
  const err = thrown(() => engine.updateRelease(r.id, { actor: rita, kind: 'hotfix', scope: 'account' }))
  assert.deepEqual(err.problems.map((p) => p.code), ['not_changeable', 'not_changeable'])
  engine.updateRelease(r.id, { actor: rita, name: 'r2', stakeholders: ['sam'] })
  assert.equal(engine.getRelease(r.id).name, 'r2')
})
