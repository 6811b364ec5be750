// Time from Node: release groups, freezes, forced activation, the calendar (sync and async),
// conflicts, iCalendar, input sets and the built-in command executor.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const from = new Date('2025-04-01T00:00:00Z')
const to = new Date('2025-05-01T00:00:00Z')
const PROCESS = `
id: train
inputs: { environment: { type: environment, default: prod1 }, region: { type: string, default: us } }
phases:
  - id: ship
    duration: 1d
    activities: [{ id: go, kind: automated, executor: noop, with: { region: "\${inputs.region}" } }]
`

function engine() {
  const clock = new ManualClock(new Date('2025-04-01T08:00:00Z'))
  const e = Engine.inMemory({ clock })
  e.registerExecutor('noop', () => ({}))
  e.registerProcess(PROCESS)
  return { e, clock }
}

const group = {
  id: 'weekly', name: 'Weekly', process: 'train', actor: rita,
  cadence: { every: 'week', on: 'thursday', at: '14:00' }, timezone: 'Europe/Berlin',
  duration: '2d', startsOn: '2025-04-03', nameTemplate: 'W{iso_week} {name}', autoStart: false,
}

test('createReleaseGroup materialises releases; camelCase options become the core document', () => {
  const { e } = engine()
  const g = e.createReleaseGroup(group)
  assert.equal(g.startsOn, '2025-04-03')
  assert.equal(g.nameTemplate, 'W{iso_week} {name}')
  assert.equal(g.autoStart, false)
  assert.deepEqual(e.listReleaseGroups().map((x) => x.id), ['weekly'])
  assert.equal(e.getReleaseGroup('weekly').timezone, 'Europe/Berlin')
  const rs = e.listReleases({ group: 'weekly' })
  assert.ok(rs.length >= 12)
  assert.equal(rs[0].name, 'W14 Weekly')
  assert.equal(rs[0].schedule.start.toISOString(), '2025-04-03T12:00:00.000Z')
  assert.equal(thrown(() => e.createReleaseGroup(group)).code, 'already_exists')
  const bad = thrown(() => e.createReleaseGroup({ ...group, id: 'x', startsOn: 'soon', bogus: 1 }))
  assert.equal(bad.code, 'validation')
  assert.ok(bad.problems.some((p) => p.path === 'starts_on'))
  assert.ok(bad.problems.some((p) => p.path === 'bogus'))
  assert.equal(thrown(() => e.createReleaseGroup({ ...group, id: 'y', actor: { id: 'v' } })).code, 'permission_denied')
  const changes = e.updateReleaseGroup({ ...group, cadence: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=14;BYMINUTE=0' })
  assert.ok(changes.rescheduled.length + changes.created.length > 0)
  assert.equal(e.listReleases({ group: 'weekly' })[0].schedule.start.getUTCDay(), 5)
  const deleted = e.deleteReleaseGroup('weekly', { actor: rita })
  assert.ok(deleted.length >= 12)
  assert.deepEqual(e.listReleaseGroups(), [])
  assert.equal(thrown(() => e.getReleaseGroup('weekly')).code, 'not_found')
})

test('horizon limits how far ahead groups materialise', () => {
  const { e } = engine()
  e.setHorizon(8 * 86_400_000)
  assert.equal(e.horizon(), 8 * 86_400_000)
  e.createReleaseGroup(group)
  assert.equal(e.listReleases({ group: 'weekly' }).length, 1) // only 3 April is within 8 days
  assert.throws(() => e.setHorizon(-1))
})

test('calendar, calendarAsync, filters, conflicts and calendarIcs', async () => {
  const { e } = engine()
  e.createReleaseGroup(group)
  const entries = e.calendar(from, to)
  assert.equal(entries.length, 4)
  const first = entries[0]
  assert.deepEqual(Object.keys(first).slice(0, 8), ['releaseId', 'name', 'status', 'kind', 'group', 'scope', 'start', 'end'])
  assert.equal(first.status, 'scheduled')
  assert.equal(first.group, 'weekly')
  assert.ok(first.start instanceof Date && first.end > first.start)
  assert.deepEqual(first.environments, ['prod1'])
  assert.equal(first.phases[0].phaseId, 'ship')
  assert.equal(first.phases[0].planned, true)
  assert.deepEqual(await e.calendarAsync(from, to), entries)
  assert.equal(e.calendar(from, to, { statuses: ['running'] }).length, 0)
  assert.equal(e.calendar(from, to, { groups: ['weekly'], kinds: ['standard'], environments: ['prod1'] }).length, 4)
  assert.equal(thrown(() => e.calendar(from, to, { statuses: ['sleeping'] })).code, 'invalid_input')
  assert.equal(thrown(() => e.calendar(to, from)).code, 'schedule')
  await assert.rejects(e.calendarAsync(to, from), (err) => err.code === 'schedule')
  assert.deepEqual(e.conflicts(from, to), [])

  const f = e.addFreeze({ name: 'Quarter end!', environments: ['prod1'], actor: rita, start: new Date('2025-04-10T00:00:00Z'), end: '2025-04-12T00:00:00Z', reason: 'audit' })
  assert.equal(f.id, 'quarter-end')
  assert.equal(f.end.toISOString(), '2025-04-12T00:00:00.000Z')
  const weekend = e.addFreeze({
    id: 'weekend', name: 'Weekend', services: ['billing'], actor: rita, start: new Date('2025-04-04T16:00:00Z'),
    recurrence: { cadence: { every: 'week', on: 'friday', at: '16:00' }, timezone: 'UTC', duration: '2d 16h' },
  })
  assert.equal(weekend.recurrence.duration.replace(/\s/g, ''), '2d16h')
  assert.deepEqual(e.listFreezes().map((x) => x.id).sort(), ['quarter-end', 'weekend'])
  const clash = e.conflicts(from, to)
  assert.equal(clash.length, 1)
  assert.deepEqual({ ...clash[0], start: clash[0].start.toISOString() }, {
    kind: 'freeze', releaseIds: [entries[1].releaseId], freezeId: 'quarter-end', resource: 'environment:prod1',
    start: '2025-04-10T12:00:00.000Z', end: clash[0].end,
  })
  assert.equal(thrown(() => e.addFreeze({ name: 'no end', actor: rita, start: new Date() })).code, 'validation')
  assert.equal(thrown(() => e.addFreeze({ name: 'x', actor: { id: 'v' }, start: from, end: to })).code, 'permission_denied')
  e.deleteFreeze('quarter-end', { actor: rita })
  assert.deepEqual(e.conflicts(from, to), [])

  const ics = e.calendarIcs(from, to)
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/)
  // The releases and the weekend freeze (its own event, with its RRULE).
  assert.equal(ics.split('\r\n').filter((l) => l === 'BEGIN:VEVENT').length, 5)
  assert.match(ics, /\r\nUID:freeze-weekend@trainyard\r\n/)
  assert.match(ics, /\r\nRRULE:FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0\r\n/)
  assert.match(ics, /SUMMARY:W15 Weekly/)
  assert.equal(e.calendarIcs(from, to, { statuses: ['failed'] }).includes('BEGIN:VEVENT'), false)
})

test('activate({ force }) inside a freeze', () => {
  const { e } = engine()
  e.addFreeze({ id: 'all', name: 'Everything', actor: rita, start: from, end: to })
  const r = e.createRelease('train', { name: 'R', actor: rita })
  assert.equal(thrown(() => e.activate(r.id, { actor: rita })).code, 'schedule')
  assert.equal(e.getRelease(r.id).status, 'draft')
  const events = e.activate(r.id, { actor: rita, force: true })
  assert.ok(events.some((ev) => ev.kind === 'activated'))
  assert.equal(e.getRelease(r.id).status, 'running')
})

test("addFreeze({ mode: 'allow' }): outside the allowed window activation is refused; every freeze has its mode", async () => {
  const clock = new ManualClock(new Date('2025-04-07T12:00:00Z')) // Monday
  const e = Engine.inMemory({ clock })
  e.registerProcess(readFileSync(join(repoRoot, 'examples/processes/hotfix.yaml'), 'utf8'))
  e.registerExecutor('command', () => ({ artifact: 'fix.tgz' }))
  const hotfix = (environment) =>
    e.createRelease('hotfix', { name: 'Hotfix 2.1.4', actor: rita, inputs: { version: '2.1.4', environment } }).id
  // Prod deploys Tuesday to Thursday, 10:00-16:00 Berlin time.
  const midweek = e.addFreeze({
    id: 'midweek', name: 'Prod deploys Tue-Thu 10-16', actor: rita, mode: 'allow', environments: ['prod1'],
    start: '2025-04-01T10:00:00+02:00',
    recurrence: { cadence: { every: 'week', on: ['tuesday', 'wednesday', 'thursday'], at: '10:00' }, timezone: 'Europe/Berlin', duration: '6h' },
  })
  assert.equal(midweek.mode, 'allow')
  const r = hotfix('prod1')
  const refused = thrown(() => e.activate(r, { actor: rita }))
  assert.equal(refused.code, 'schedule')
  assert.match(refused.message, /midweek/)
  assert.equal(e.getRelease(r).status, 'draft')
  e.activate(hotfix('prod2'), { actor: rita }) // not covered
  clock.set('2025-04-08T09:00:00Z') // Tuesday 11:00 Berlin: inside the window
  e.activate(r, { actor: rita })
  assert.equal(e.getRelease(r).status, 'running')

  const easter = e.addFreeze({ id: 'easter', name: 'Easter', actor: rita, start: '2025-04-18T00:00:00Z', end: '2025-04-22T00:00:00Z' })
  assert.equal(easter.mode, 'block')
  assert.equal(e.addFreeze({ id: 'audit', name: 'Audit', actor: rita, mode: 'block', start: from, end: to }).mode, 'block')
  assert.deepEqual(
    Object.fromEntries((await e.listFreezesAsync()).map((f) => [f.id, f.mode])),
    { midweek: 'allow', easter: 'block', audit: 'block' },
  )
  const bad = thrown(() => e.addFreeze({ name: 'Sometimes', actor: rita, mode: 'sometimes', start: from, end: to }))
  assert.equal(bad.code, 'validation')
  const problem = bad.problems.find((p) => p.path === 'mode')
  assert.ok(problem, JSON.stringify(bad.problems))
  assert.match(problem.message, /sometimes.*block.*allow/)
  assert.deepEqual(thrown(() => e.addFreeze({ name: 'Typed', actor: rita, mode: 1, start: from, end: to })).problems.map((p) => p.path), ['mode'])
  assert.equal(e.listFreezes().length, 3)
})

test('saveInputSet, getInputSet and createRelease({ inputSet })', () => {
  const { e } = engine()
  assert.equal(e.saveInputSet('train', 'eu', { region: 'eu' }, { actor: rita }), 1)
  assert.equal(e.saveInputSet('train', 'eu', { region: 'eu-central' }, { actor: rita }), 2)
  assert.deepEqual(e.getInputSet('train', 'eu', 1), { processId: 'train', name: 'eu', version: 1, scope: 'account', values: { region: 'eu' } })
  assert.equal(thrown(() => e.saveInputSet('train', 'bad', { nope: 1 }, { actor: rita })).code, 'invalid_input')
  assert.equal(thrown(() => e.saveInputSet('train', 'eu', {}, { actor: { id: 'v' } })).code, 'permission_denied')
  const r = e.createRelease('train', { name: 'R', actor: rita, inputSet: 'eu' })
  assert.equal(r.inputs.region, 'eu-central')
  assert.equal(thrown(() => e.createRelease('train', { name: 'R', actor: rita, inputSet: 'nope' })).code, 'not_found')
  e.createReleaseGroup({ ...group, inputSet: 'eu' })
  assert.equal(e.listReleases({ group: 'weekly' })[0].inputs.region, 'eu-central')
})

test('registerCommandExecutor runs scripts relative to baseDir', () => {
  const clock = new ManualClock(new Date('2025-04-01T08:00:00Z'))
  const e = Engine.inMemory({ clock })
  e.registerExecutor('cmd', () => ({ from: 'js' }))
  e.registerCommandExecutor('cmd', { baseDir: join(repoRoot, 'examples') })
  e.registerProcess(`
id: cut
phases: [{ id: p, activities: [{ id: a, kind: automated, executor: cmd, with: { argv: [./scripts/cut-branch.sh, release/1] }, outputs: [commit] }] }]
`)
  const r = e.createRelease('cut', { name: 'cut', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  const state = e.getRelease(r.id)
  assert.equal(state.status, 'success', JSON.stringify(state.phases.p.activities.a))
  assert.match(state.phases.p.activities.a.outputs.commit, /^\w{7}$/)
})
