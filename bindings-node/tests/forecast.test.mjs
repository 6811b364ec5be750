// engine.forecast: the expected end from the plan, then from the history of an earlier release;
// at risk against the planned end; access, unknown releases and the async twin.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const quinn = { id: 'quinn', groups: ['qa'] }
const START = new Date('2025-04-07T09:00:00Z')
const HOUR = 3600 * 1000

const PROCESS = {
  id: 'train',
  phases: [
    { id: 'build', duration: '1h', activities: [{ id: 'compile', kind: 'wait', duration: '1s' }] },
    { id: 'qa', depends_on: ['build'], duration: '2h', activities: [{ id: 'signoff', kind: 'approval', approvers: [{ group: 'qa' }] }] },
  ],
}

function started(e, clock, name) {
  const r = e.createRelease('train', { name, actor: rita })
  const now = clock.now()
  e.schedule(r.id, { actor: rita, start: now, end: new Date(now.getTime() + 3 * HOUR) })
  e.activate(r.id, { actor: rita })
  clock.advance('1s')
  e.runUntilIdle()
  return r.id
}

test('forecast from the plan, then from the history of an earlier release', async () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess(PROCESS)
  const first = started(e, clock, 'Week 15')
  let f = e.forecast(first)
  assert.deepEqual(f.criticalPath, ['build', 'qa'])
  assert.deepEqual(f.phases.map((p) => [p.id, p.basis]), [['build', 'actual'], ['qa', 'planned']])
  assert.equal(f.phases[0].expectedSecs, 1)
  assert.equal(f.phases[1].plannedSecs, 7200)
  assert.ok(f.expectedEnd instanceof Date && f.at instanceof Date && f.phases[1].expectedStart instanceof Date)
  assert.equal(f.expectedEnd.getTime(), START.getTime() + 1000 + 2 * HOUR)
  assert.equal(f.plannedEnd.getTime(), START.getTime() + 3 * HOUR)
  assert.equal(f.atRisk, false)
  assert.equal(f.lateSecs, 1 - 3600)
  clock.advance('4h')
  f = await e.forecastAsync(first)
  assert.equal(f.atRisk, true)
  assert.equal(f.expectedEnd.getTime(), clock.now().getTime())
  assert.equal(f.phases[1].critical, true)
  e.approve(first, 'qa', 'signoff', { actor: quinn })
  e.runUntilIdle()
  clock.advance('7d')
  const second = started(e, clock, 'Week 16')
  const qa = e.forecast(second).phases[1]
  assert.deepEqual([qa.basis, qa.expectedSecs, qa.historyRuns], ['history', 4 * 3600, 1])
})

test('forecast follows the read rules; an unknown release is not_found', async () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess(PROCESS)
  const id = started(e, clock, 'Week 15')
  assert.equal(thrown(() => e.forecast(id, { actor: { id: 'stranger' } })).code, 'permission_denied')
  assert.deepEqual(e.forecast(id, { actor: rita }), e.forecast(id))
  assert.equal(thrown(() => e.forecast('nope')).code, 'not_found')
  await assert.rejects(e.forecastAsync('nope'), (err) => err.code === 'not_found')
  assert.equal(thrown(() => e.forecast(7)).code, 'invalid_input')
})

test('a release past its slack turns at risk and notifies its people once', () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess(PROCESS)
  const seen = []
  e.subscribe((n) => seen.push(n))
  const r = e.createRelease('train', { name: 'Week 15', actor: rita, owners: ['rita'], stakeholders: ['vp'] })
  e.schedule(r.id, { actor: rita, start: START, end: new Date(START.getTime() + 3 * HOUR) })
  e.activate(r.id, { actor: rita })
  clock.advance('1s')
  e.runUntilIdle()
  // qa may take its planned 2h from 09:00:01; still waiting at 12:00:01 it makes the release late.
  assert.equal(e.getRelease(r.id).atRisk, false)
  clock.advance('10799s')
  e.runUntilIdle()
  assert.equal(e.getRelease(r.id).atRisk, false)
  clock.advance('1s')
  e.runUntilIdle()
  e.runUntilIdle()
  assert.equal(e.getRelease(r.id).atRisk, true)
  const notices = seen.filter((n) => n.kind === 'release_at_risk')
  assert.deepEqual(notices.map((n) => [n.releaseId, n.recipients, n.at.toISOString()]), [
    [r.id, ['rita', 'vp'], '2025-04-07T12:00:01.000Z'],
  ])
  const assessed = e.history(r.id).filter((ev) => ev.kind === 'risk_assessed')
  assert.deepEqual(assessed.map((ev) => ev.data.at_risk), [false, false, true])
})
