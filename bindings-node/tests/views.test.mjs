// One read model: the objects Node returns for releases, phases, activities and approvals have
// exactly the fields of the core's ReleaseView (testdata/api/views.json, kept current by a Rust
// test), camelCased and in the same order, and index.d.ts declares exactly those fields.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const views = JSON.parse(readFileSync(join(repoRoot, 'testdata', 'api', 'views.json'), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const want = Object.fromEntries(Object.entries(views).map(([view, fields]) => [view, fields.map(camel)]))
const rita = { id: 'rita', roles: ['account_release_manager'] }

/** The member names of `export interface <name> { … }` in index.d.ts, in order. */
function interfaceFields(dts, name) {
  const match = dts.match(new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`))
  assert.ok(match, `index.d.ts declares interface ${name}`)
  return [...match[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1])
}

function approvedRelease() {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess({
    id: 'p',
    phases: [{ id: 'ship', activities: [{ id: 'ok', kind: 'approval', approvers: [{ user: 'ann' }] }] }],
    rollback: [{ id: 'undo', activities: [{ id: 'back', kind: 'manual' }] }],
  })
  const r = e.createRelease('p', { name: 'R', actor: rita })
  e.activate(r.id, { actor: rita })
  e.approve(r.id, 'ship', 'ok', { actor: { id: 'ann' }, comment: 'fine' })
  return { e, release: e.getRelease(r.id) }
}

test('views.json lists the release views, the two feed views, waiting_on, lock (tests/locks.test.mjs), the doctor reports (tests/doctor.test.mjs) and the report (tests/report.test.mjs)', () => {
  // The feed views (FeedEntry, DeadLetter) are checked against the Node classes by the feed's own tests.
  assert.deepEqual(Object.keys(views), [
    'release', 'phase', 'activity', 'approval', 'phase_attempt', 'ledger_entry', 'feed_entry', 'dead_letter', 'waiting_on', 'lock',
    'doctor_report', 'doctor_finding', 'doctor_problem', 'repair_report',
    'report', 'release_report', 'phase_report', 'activity_report', 'approval_wait', 'decision_record', 'dora',
  ])
})

test('waitingOn says what the release waits on, with the activity concerned', () => {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess({ id: 'w', phases: [{ id: 'ship', activities: [{ id: 'ok', kind: 'approval', approvers: [{ user: 'ann' }] }] }] })
  const r = e.createRelease('w', { name: 'R', actor: rita })
  assert.equal(r.waitingOn, null, 'a draft waits on nothing')
  e.activate(r.id, { actor: rita })
  const waiting = e.getRelease(r.id).waitingOn
  assert.deepEqual(waiting, { kind: 'approval', phaseId: 'ship', activityId: 'ok' })
  assert.deepEqual(Object.keys(waiting), want.waiting_on)
  e.approve(r.id, 'ship', 'ok', { actor: { id: 'ann' } })
  assert.equal(e.getRelease(r.id).waitingOn, null, 'an ended release waits on nothing')
})

test('a returned release, phase, activity and approval have exactly the view fields, in order', async () => {
  const { e, release } = approvedRelease()
  const phase = release.phases.ship
  const activity = phase.activities.ok
  assert.deepEqual(Object.keys(release), want.release)
  assert.deepEqual(Object.keys(phase), want.phase)
  assert.deepEqual(Object.keys(activity), want.activity)
  assert.deepEqual(Object.keys(activity.approvals[0]), want.approval)
  assert.deepEqual(Object.keys(release.phases), ['ship', 'undo'], 'regular phases, then rollback phases')
  assert.equal(release.phases.undo.rollback, true)
  assert.equal(phase.critical, true)
  for (const list of [e.listReleases(), await e.listReleasesAsync(), [await e.getReleaseAsync(release.id)]]) {
    assert.deepEqual(Object.keys(list[0]), want.release)
  }
})

test('absent values are null, times are Dates, schedule / parent / inputSet are objects', () => {
  const { release } = approvedRelease()
  for (const key of ['group', 'occurrence', 'inputSet', 'parent', 'schedule', 'scheduledBy']) assert.equal(release[key], null, key)
  for (const key of ['createdAt', 'startedAt', 'endedAt', 'updatedAt']) assert.ok(release[key] instanceof Date, key)
  assert.equal(release.phases.undo.startedAt, null)
  assert.ok(release.phases.ship.activities.ok.approvals[0].at instanceof Date)
  assert.equal(release.phases.ship.activities.ok.error, null)

  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess({ id: 'child', inputs: { v: { type: 'string', default: 'x' } }, phases: [{ id: 'c', activities: [{ id: 'm', kind: 'manual' }] }] })
  e.registerProcess({ id: 'parent', phases: [{ id: 'p', activities: [{ id: 'sub', kind: 'subprocess', process: 'child' }] }] })
  e.saveInputSet('child', 'eu', { v: 'eu' }, { actor: rita })
  const withSet = e.createRelease('child', { name: 'S', actor: rita, inputSet: 'eu' })
  assert.deepEqual(withSet.inputSet, { name: 'eu', version: 1 })
  e.schedule(withSet.id, { start: '2025-04-08T09:00:00Z', end: new Date('2025-04-09T09:00:00Z'), actor: rita, autoStart: false })
  const scheduled = e.getRelease(withSet.id)
  assert.deepEqual(
    { ...scheduled.schedule, start: scheduled.schedule.start.toISOString(), end: scheduled.schedule.end.toISOString() },
    { start: '2025-04-08T09:00:00.000Z', end: '2025-04-09T09:00:00.000Z', autoStart: false },
  )
  assert.equal(scheduled.scheduledBy, 'rita')
  const parent = e.createRelease('parent', { name: 'P', actor: rita })
  e.activate(parent.id, { actor: rita })
  e.runUntilIdle()
  const childId = e.getRelease(parent.id).phases.p.activities.sub.childId
  assert.deepEqual(e.getRelease(childId).parent, { release: parent.id, phase: 'p', activity: 'sub' })
})

test('index.d.ts declares exactly the view fields for Release, Phase, Activity, Approval, PhaseAttempt, LedgerEntry and Lock', () => {
  const dts = readFileSync(join(repoRoot, 'bindings-node', 'index.d.ts'), 'utf8')
  assert.deepEqual(interfaceFields(dts, 'Release'), want.release)
  assert.deepEqual(interfaceFields(dts, 'Phase'), want.phase)
  assert.deepEqual(interfaceFields(dts, 'Activity'), want.activity)
  assert.deepEqual(interfaceFields(dts, 'Approval'), want.approval)
  assert.deepEqual(interfaceFields(dts, 'WaitingOn'), want.waiting_on)
  assert.deepEqual(interfaceFields(dts, 'PhaseAttempt'), want.phase_attempt)
  assert.deepEqual(interfaceFields(dts, 'LedgerEntry'), want.ledger_entry)
  assert.deepEqual(interfaceFields(dts, 'Lock'), want.lock)
})

test('events: seq, at (Date), actor, kind, data, comment (null when none)', () => {
  const { e, release } = approvedRelease()
  const history = e.history(release.id)
  for (const ev of history) assert.deepEqual(Object.keys(ev), ['seq', 'at', 'actor', 'kind', 'data', 'comment'])
  assert.ok(history.every((ev) => ev.at instanceof Date && typeof ev.data === 'object'))
  assert.equal(history[0].comment, null)
  assert.equal(history.find((ev) => ev.kind === 'approval_recorded').comment, 'fine')
})
