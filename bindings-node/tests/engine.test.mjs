// The Engine surface: construction, processes, release objects and their types, commands, filters,
// history, and errors with the core's codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Actor, Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')

const PROCESS = `
id: app
inputs:
  version: { type: string, required: true, pattern: "^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$" }
phases:
  - id: build
    name: Build it
    activities:
      - { id: compile, name: Compile, kind: automated, executor: build, outputs: [artifact] }
  - id: check
    depends_on: [build]
    activities:
      - { id: notes, kind: manual, fields: [{ name: ticket, type: string, required: true }] }
      - { id: qa, kind: approval, approvers: [{ group: qa }], depends_on: [notes] }
`

function engine() {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerExecutor('build', (job) => ({ artifact: `app-${job.attempt}.tgz` }))
  e.registerProcess(PROCESS)
  return { e, clock }
}

test('ManualClock moves only when told to', () => {
  const clock = new ManualClock(START)
  assert.ok(clock.now() instanceof Date)
  assert.equal(clock.now().toISOString(), '2025-04-07T09:00:00.000Z')
  clock.advance(90 * 60 * 1000)
  assert.equal(clock.now().toISOString(), '2025-04-07T10:30:00.000Z')
  clock.advance(-30 * 60 * 1000)
  assert.equal(clock.now().toISOString(), '2025-04-07T10:00:00.000Z')
  assert.equal(clock.advance('1d 2h').toISOString(), '2025-04-08T12:00:00.000Z', 'duration text, like Python')
  clock.set(new Date('2026-01-01T00:00:00Z'))
  assert.equal(clock.now().toISOString(), '2026-01-01T00:00:00.000Z')
  clock.set('2026-01-02T00:00:00+01:00')
  assert.equal(clock.now().toISOString(), '2026-01-01T23:00:00.000Z', 'RFC 3339 text is a time too')
  for (const [bad, why] of [[Number.NaN, /NaN/], ['soon', /not a duration/], [undefined, /required/]]) {
    const err = thrown(() => clock.advance(bad))
    assert.equal(err.code, 'invalid_input', err.message)
    assert.equal(err.problems[0].path, 'by')
    assert.match(err.problems[0].message, why)
  }
  const date = thrown(() => new ManualClock('2025-04-07'))
  assert.equal(date.code, 'invalid_input')
  assert.match(date.problems[0].message, /a Date or RFC 3339 text/)
})

test('Engine.open and Engine.openAsync take memory:// (sqlite and postgres: storage_workers.test.mjs)', async () => {
  assert.ok(Engine.open('memory://') instanceof Engine)
  assert.equal(thrown(() => Engine.open('ftp://x')).code, 'storage')
  await assert.rejects(Engine.openAsync('ftp://x'), (e) => e.code === 'storage')
  const opened = await Engine.openAsync('memory://', { clock: new ManualClock(START) })
  assert.ok(opened instanceof Engine)
  assert.deepEqual(opened.listProcesses(), [])
})

test('engine options: a clock must be a ManualClock; releaseLevel is account or organization', () => {
  const clock = thrown(() => Engine.inMemory({ clock: { now: () => new Date() } }))
  assert.equal(clock.code, 'invalid_input')
  assert.deepEqual(clock.problems.map((p) => [p.path, p.code]), [['options.clock', 'wrong_type']])
  assert.match(clock.problems[0].message, /ManualClock/)
  assert.equal(Engine.inMemory({ releaseLevel: 'account' }).releaseLevel, 'account')
  assert.equal(Engine.inMemory({ releaseLevel: 'organization' }).releaseLevel, 'organization')
  const err = thrown(() => Engine.inMemory({ releaseLevel: 'team' }))
  assert.equal(err.code, 'invalid_input')
  assert.deepEqual(err.problems.map((p) => [p.path, p.code]), [['options.releaseLevel', 'invalid_value']])
})

test('processes: register (text or object), versions, warnings, get, list', () => {
  const { e } = engine()
  assert.deepEqual(e.registerProcess(PROCESS), { id: 'app', version: 1, warnings: [] })
  const changed = e.registerProcess(PROCESS.replace('Build it', 'Build'))
  assert.equal(changed.version, 2)
  assert.equal(e.getProcess('app').phases[0].name, 'Build')
  assert.equal(e.getProcess('app', 1).phases[0].name, 'Build it')
  const parent = e.registerProcess({ id: 'parent', phases: [{ id: 'p', activities: [{ id: 'a', kind: 'subprocess', process: 'app' }] }] })
  assert.deepEqual(parent.warnings, [], 'the subprocess resolves against the registered processes')
  assert.deepEqual(e.listProcesses(), [{ id: 'app', version: 2 }, { id: 'parent', version: 1 }])
  const missing = thrown(() => e.getProcess('nope'))
  assert.equal(missing.code, 'not_found')
  assert.match(missing.message, /registered: app \(v2\), parent \(v1\)/)
  const invalid = thrown(() => e.registerProcess({ id: 'x', phases: [] }))
  assert.equal(invalid.code, 'validation')
  assert.ok(invalid.problems.length >= 1)
  assert.deepEqual(e.validateProcess(PROCESS), [])
})

test('a release is a plain object with Dates, statuses as strings and phases by id', () => {
  const { e, clock } = engine()
  const created = e.createRelease('app', { name: 'App 1.2.3', actor: rita, inputs: { version: '1.2.3' }, owners: ['rita'], kind: 'hotfix' })
  assert.equal(Object.getPrototypeOf(created), Object.prototype)
  assert.equal(created.status, 'draft')
  assert.equal(created.kind, 'hotfix')
  assert.equal(created.scope, 'account')
  assert.equal(created.processId, 'app')
  assert.equal(created.processVersion, 1)
  assert.deepEqual(created.inputs, { version: '1.2.3' })
  assert.deepEqual(created.owners, ['rita'])
  assert.equal(created.createdBy, 'rita')
  assert.ok(created.createdAt instanceof Date)
  assert.deepEqual(Object.keys(created.phases), ['build', 'check'])
  assert.deepEqual(Object.keys(created.phases.check.activities), ['notes', 'qa'])
  assert.equal(created.phases.build.name, 'Build it')
  assert.equal(created.phases.build.activities.compile.kind, 'automated')
  assert.equal(created.phases.build.activities.compile.name, 'Compile')
  assert.equal(created.phases.check.activities.qa.kind, 'approval')

  const at = new Date(START.getTime() + 3600_000)
  e.schedule(created.id, { start: at, actor: rita })
  const scheduled = e.getRelease(created.id)
  assert.equal(scheduled.status, 'scheduled')
  assert.equal(scheduled.schedule.start.toISOString(), at.toISOString())
  assert.equal(scheduled.schedule.autoStart, true)

  clock.advance(3600_000)
  e.runUntilIdle()
  const running = e.getRelease(created.id)
  assert.equal(running.status, 'on_hold', 'the manual activity waits for a person')
  assert.equal(running.startedAt.toISOString(), at.toISOString())
  assert.deepEqual(running.phases.build.activities.compile.outputs, { artifact: 'app-0.tgz' })
  assert.equal(running.phases.check.activities.notes.status, 'waiting_for_input')

  const bad = thrown(() => e.completeManual(created.id, 'check', 'notes', { actor: rita, values: {} }))
  assert.equal(bad.code, 'invalid_input')
  e.completeManual(created.id, 'check', 'notes', { actor: rita, values: { ticket: 'REL-1' } })
  const events = e.approve(created.id, 'check', 'qa', { actor: { id: 'quinn', groups: ['qa'] }, comment: 'ok' })
  assert.ok(events.some((ev) => ev.kind === 'approval_recorded'), 'commands return the events they appended')
  const done = e.getRelease(created.id)
  assert.equal(done.status, 'success')
  const [approval] = done.phases.check.activities.qa.approvals
  assert.equal(approval.approver, 'quinn')
  assert.equal(approval.approved, true)
  assert.equal(approval.comment, 'ok')
  assert.ok(approval.at instanceof Date)
  assert.ok(done.endedAt instanceof Date)
})

test('history: events with seq, Date, actor, kind, data and comment', () => {
  const { e } = engine()
  const r = e.createRelease('app', { name: 'R', actor: rita, inputs: { version: '1.0.0' } })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  e.abort(r.id, { actor: rita, reason: 'wrong branch' })
  const history = e.history(r.id)
  assert.deepEqual(history.map((ev) => ev.seq), history.map((_, i) => i + 1))
  const [created] = history
  assert.equal(created.kind, 'created')
  assert.equal(created.actor, 'rita')
  assert.ok(created.at instanceof Date)
  assert.equal(created.data.name, 'R')
  assert.equal(created.data.process_id, 'app')
  const aborted = history.find((ev) => ev.kind === 'aborted')
  assert.equal(aborted.comment, 'wrong branch')
})

test('drafts: update, delete; inputs are checked at schedule', () => {
  const { e } = engine()
  const r = e.createRelease('app', { name: 'Draft', actor: rita })
  const missing = thrown(() => e.schedule(r.id, { start: START, actor: rita }))
  assert.equal(missing.code, 'invalid_input')
  assert.deepEqual(missing.problems.map((p) => [p.path, p.code]), [['inputs.version', 'missing_input']])
  e.updateRelease(r.id, { actor: rita, name: 'Renamed', inputs: { version: '2.0.0' } })
  assert.equal(e.getRelease(r.id).name, 'Renamed')
  const wrong = thrown(() => e.updateRelease(r.id, { actor: rita, inputs: { version: 'two' } }))
  assert.equal(wrong.code, 'invalid_input')
  e.deleteRelease(r.id, { actor: rita })
  assert.deepEqual(e.listReleases(), [])
})

test('listReleases filters by status, kind and scope; archived only on request; async variants', async () => {
  const { e } = engine()
  const a = e.createRelease('app', { name: 'A', actor: rita, inputs: { version: '1.0.0' } })
  const b = e.createRelease('app', { name: 'B', actor: rita, kind: 'hotfix', scope: 'account' })
  e.activate(a.id, { actor: rita })
  e.runUntilIdle()
  e.abort(a.id, { actor: rita, reason: 'test' })
  assert.deepEqual(e.listReleases().map((r) => r.name), ['A', 'B'])
  assert.deepEqual(e.listReleases({ status: 'draft' }).map((r) => r.name), ['B'])
  assert.deepEqual(e.listReleases({ kind: 'hotfix' }).map((r) => r.name), ['B'])
  assert.deepEqual(e.listReleases({ scope: 'account' }).map((r) => r.name), ['A', 'B'])
  assert.deepEqual(e.listReleases({ scope: 'org:payments' }).map((r) => r.name), [])
  e.archive(a.id, { actor: rita })
  assert.deepEqual(e.listReleases().map((r) => r.name), ['B'])
  assert.deepEqual(e.listReleases({ includeArchived: true }).map((r) => r.name), ['A', 'B'])
  assert.deepEqual((await e.listReleasesAsync({ kind: 'hotfix' })).map((r) => r.id), [b.id])
  const fetched = await e.getReleaseAsync(a.id)
  assert.equal(fetched.archived, true)
  assert.equal(fetched.status, 'aborted')
  const bad = thrown(() => e.listReleases({ status: 'done' }))
  assert.equal(bad.code, 'invalid_input')
  assert.match(bad.message, /partial_success/)
})

test('errors carry the core codes; async reads reject with them', async () => {
  const { e } = engine()
  assert.equal(thrown(() => e.getRelease('nope')).code, 'not_found')
  await assert.rejects(e.getReleaseAsync('nope'), (err) => err instanceof Error && err.code === 'not_found')
  assert.equal(thrown(() => e.createRelease('nope', { name: 'x', actor: rita })).code, 'not_found')
  assert.equal(thrown(() => e.createRelease('app', { name: ' ', actor: rita })).code, 'invalid_input')
  assert.equal(thrown(() => e.createRelease('app', { name: 'x', actor: rita, kind: 'big' })).code, 'invalid_input')
  const set = thrown(() => e.createRelease('app', { name: 'x', actor: rita, inputSet: 'prod' }))
  assert.equal(set.code, 'not_found')
  assert.match(set.message, /has no input sets/)
  const r = e.createRelease('app', { name: 'x', actor: rita })
  const err = thrown(() => e.pause(r.id, { actor: rita }))
  assert.equal(err.code, 'invalid_transition')
  assert.match(err.message, /allowed now: update, delete, schedule, activate/)
  const notListed = thrown(() => e.approve(r.id, 'check', 'qa', { actor: rita }))
  assert.equal(notListed.code, 'permission_denied', 'a release manager may not approve unless listed')
  assert.equal(thrown(() => e.activate(r.id, { actor: { id: 'vera', roles: ['viewer'] } })).code, 'permission_denied')
})

test('pause, resume, restart, skip, retry, ignore, fail through the options objects', () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  let fail = true
  e.registerExecutor('x', () => {
    if (fail) throw new Error('nope')
    return {}
  })
  e.registerProcess({
    id: 'ops',
    phases: [
      {
        id: 'p',
        activities: [
          { id: 'a', kind: 'automated', executor: 'x', with: { size: 1 } },
          { id: 'b', kind: 'automated', executor: 'x' },
          { id: 'c', kind: 'automated', executor: 'x' },
          { id: 'later', kind: 'automated', executor: 'x', depends_on: ['a', 'b', 'c'] },
          { id: 'never', kind: 'manual', depends_on: ['later'] },
        ],
      },
    ],
  })
  const r = e.createRelease('ops', { name: 'Ops', actor: rita })
  e.activate(r.id, { actor: rita })
  e.pause(r.id, { actor: rita })
  assert.equal(e.getRelease(r.id).paused, true)
  e.resume(r.id, { actor: rita })
  e.skip(r.id, 'p', 'never', { actor: rita, reason: 'not needed' })
  e.runUntilIdle()
  const acts = () => e.getRelease(r.id).phases.p.activities
  assert.deepEqual([acts().a.status, acts().b.status, acts().c.status], ['on_hold', 'on_hold', 'on_hold'])
  fail = false
  e.retry(r.id, 'p', 'a', { actor: rita, inputs: { size: 2 }, reason: 'bigger' })
  e.ignore(r.id, 'p', 'b', { actor: rita, outputs: {}, reason: 'flaky' })
  e.runUntilIdle()
  assert.equal(acts().a.status, 'success')
  assert.deepEqual(acts().a.jobInputs, { size: 2 })
  assert.equal(acts().b.status, 'ignored')
  e.fail(r.id, 'p', 'c', { actor: rita, reason: 'give up' })
  e.runUntilIdle()
  assert.equal(e.getRelease(r.id).status, 'failed')
  assert.equal(acts().never.skipReason, 'manual')
  e.restart(r.id, { actor: rita })
  e.runUntilIdle()
  const restarted = e.getRelease(r.id)
  assert.equal(restarted.attempt, 1)
  assert.equal(restarted.status, 'partial_success')
})

test('Actor: a class like Python\'s, accepted wherever a plain actor object is', () => {
  const quinn = new Actor('quinn', { groups: ['qa'] })
  assert.equal(quinn.id, 'quinn')
  assert.deepEqual(quinn.groups, ['qa'])
  assert.deepEqual(quinn.roles, [])
  assert.deepEqual(new Actor('sys').groups, [])
  const { e } = engine()
  const manager = new Actor('rita', { roles: ['account_release_manager'] })
  const r = e.createRelease('app', { name: 'R', actor: manager, inputs: { version: '1.0.0' } })
  e.activate(r.id, { actor: manager })
  e.runUntilIdle()
  e.completeManual(r.id, 'check', 'notes', { actor: manager, values: { ticket: 'T-1' } })
  e.approve(r.id, 'check', 'qa', { actor: quinn })
  const approved = e.getRelease(r.id)
  assert.equal(approved.status, 'success')
  assert.equal(approved.phases.check.activities.qa.approvals[0].approver, 'quinn')
  assert.equal(approved.createdBy, 'rita')
})

test('arguments of the wrong shape are invalid_input naming the argument, before the core runs', () => {
  const { e } = engine()
  const r = e.createRelease('app', { name: 'R', actor: rita })
  const problems = (fn) => {
    const err = thrown(fn)
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'invalid_input', err.message)
    return err.problems.map((p) => [p.path, p.code])
  }
  assert.deepEqual(problems(() => e.activate(r.id, {})), [['options.actor', 'missing_field']])
  assert.deepEqual(problems(() => e.schedule(r.id, { actor: rita, start: '2025-04-07' })), [['options.start', 'invalid_value']])
  assert.deepEqual(problems(() => e.registerExecutor('x', 5)), [['executor', 'wrong_type']])
  assert.deepEqual(problems(() => e.schedule(r.id, { actor: rita, start: START, autostart: false })), [['options.autostart', 'unknown_field']])
  assert.deepEqual(problems(() => e.pause(r.id, { actor: { id: 'rita', role: ['x'] } })), [['options.actor.role', 'unknown_field']])
  assert.deepEqual(problems(() => e.approve(r.id, 'check', 42, { actor: { id: 7 } })), [
    ['activityId', 'wrong_type'],
    ['options.actor.id', 'wrong_type'],
  ])
  assert.equal(e.history(r.id).length, 1, 'nothing was written')
})
