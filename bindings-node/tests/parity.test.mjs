// The same API as Python: an …Async twin for every call that can touch the store, close() / url /
// now() / setRetention, durations as text or milliseconds, timezone optional, typed calendar
// filters (with actor).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')

/**
 * Engine methods that never touch the store (settings, registration, counters). `watch` reads the
 * feed head once (one indexed read, so that "from now on" means from the call) and returns the async
 * iterator whose every `next()` runs on a worker thread.
 */
const LOCAL = new Set([
  'close', 'now', 'setRetention', 'registerExecutor', 'registerCommandExecutor', 'subscribe',
  'notificationFailures', 'setSecretResolver', 'horizon', 'setHorizon',
  'addWebhookSink', 'addNatsSink', 'subscribeDurable', 'watch',
])

test('every Engine method that can touch the store has an …Async twin returning a Promise', async () => {
  const names = Object.entries(Object.getOwnPropertyDescriptors(Engine.prototype))
    .filter(([n, d]) => typeof d.value === 'function' && n !== 'constructor')
    .map(([n]) => n)
  const sync = names.filter((n) => !n.endsWith('Async') && !LOCAL.has(n))
  assert.ok(sync.length >= 45, `only ${sync.length} store methods: ${sync}`)
  for (const n of sync) assert.ok(names.includes(`${n}Async`), `${n} has no ${n}Async`)
  for (const n of names.filter((x) => x.endsWith('Async'))) assert.ok(names.includes(n.slice(0, -5)), `${n} has no sync form`)
  const e = Engine.inMemory()
  const pending = e.listProcessesAsync()
  assert.ok(pending instanceof Promise)
  assert.deepEqual(await pending, [])
})

test('async commands work end to end and reject with coded errors (argument errors too)', async () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  await e.registerProcessAsync({ id: 'p', phases: [{ id: 'a', activities: [{ id: 'ok', kind: 'approval', approvers: [{ user: 'ann' }] }] }] })
  const r = await e.createReleaseAsync('p', { name: 'R', actor: rita })
  assert.equal(r.status, 'draft')
  const activated = await e.activateAsync(r.id, { actor: rita })
  assert.ok(activated.some((ev) => ev.kind === 'activated'))
  await assert.rejects(e.approveAsync(r.id, 'a', 'ok', { actor: rita }), (err) => err.code === 'permission_denied')
  await assert.rejects(e.approveAsync(r.id, 'a', 'ok', { actor: 'ann' }), (err) => err.code === 'invalid_input' && err.problems[0].path === 'options.actor')
  await assert.rejects(e.approveAsync(r.id, 'a', 'ok'), (err) => err.code === 'invalid_input' && err.problems[0].path === 'options')
  await e.approveAsync(r.id, 'a', 'ok', { actor: { id: 'ann' } })
  assert.equal((await e.getReleaseAsync(r.id)).status, 'success')
  assert.deepEqual((await e.historyAsync(r.id)).map((ev) => ev.seq), e.history(r.id).map((ev) => ev.seq))
  await assert.rejects(e.pauseAsync(r.id, { actor: rita }), (err) => err.code === 'invalid_transition')
  await assert.rejects(e.getProcessAsync('nope'), (err) => err.code === 'not_found')
})

test('url, now(), close(): after close every call throws storage, sync or async', async () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  assert.equal(e.url, 'memory://')
  assert.equal(e.now().toISOString(), START.toISOString())
  clock.advance('1h')
  assert.equal(e.now().toISOString(), '2025-04-07T10:00:00.000Z')
  assert.equal(e.closed, false)
  e.close()
  e.close()
  assert.equal(e.closed, true)
  const err = thrown(() => e.listProcesses())
  assert.equal(err.code, 'storage')
  assert.match(err.message, /the engine on memory:\/\/ is closed/)
  assert.equal(thrown(() => e.now()).code, 'storage')
  await assert.rejects(e.listReleasesAsync(), (x) => x.code === 'storage')
})

test('setRetention({ archiveAfter }) takes text or milliseconds', () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess({ id: 'p', phases: [{ id: 'a', activities: [{ id: 'm', kind: 'manual' }] }] })
  const r = e.createRelease('p', { name: 'R', actor: rita })
  e.activate(r.id, { actor: rita })
  e.abort(r.id, { actor: rita, reason: 'done' })
  clock.advance('31d')
  assert.deepEqual(e.applyRetention(), [], 'the default keeps a year')
  e.setRetention({ archiveAfter: '30d' })
  assert.deepEqual(e.applyRetention(), [r.id])
  e.setRetention({ archiveAfter: 1000 })
  for (const [bad, path] of [[{ archiveAfter: 'soon' }, 'options.archiveAfter'], [{ archiveAfter: -1 }, 'options.archiveAfter'], [undefined, 'options']]) {
    const err = thrown(() => e.setRetention(bad))
    assert.equal(err.code, 'invalid_input')
    assert.deepEqual(err.problems.map((p) => p.path), [path])
  }
})

test('durations: text or milliseconds for the horizon, leases and group durations; timezone defaults to UTC', () => {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-01T08:00:00Z')) })
  e.setHorizon('8d')
  assert.equal(e.horizon(), 8 * 86_400_000)
  e.setHorizon(9 * 86_400_000)
  assert.equal(e.horizon(), 9 * 86_400_000)
  e.registerProcess({ id: 'train', phases: [{ id: 'ship', activities: [{ id: 'go', kind: 'automated', executor: 'remote' }] }] })
  const g = e.createReleaseGroup({
    id: 'daily', name: 'Daily', process: 'train', actor: rita, cadence: 'FREQ=DAILY;BYHOUR=9', duration: 2 * 3600_000, startsOn: '2025-04-02',
  })
  assert.equal(g.timezone, 'UTC')
  assert.equal(g.duration, '2h')
  const [first] = e.listReleases({ group: 'daily' })
  assert.equal(first.schedule.start.toISOString(), '2025-04-02T09:00:00.000Z')
  assert.equal(first.schedule.end.toISOString(), '2025-04-02T11:00:00.000Z')
  const bad = thrown(() => e.createReleaseGroup({ id: 'x', name: 'X', process: 'train', actor: rita, cadence: 'FREQ=DAILY', duration: 1500, startsOn: '2025-04-02' }))
  assert.equal(bad.code, 'invalid_input')
  assert.deepEqual(bad.problems.map((p) => p.path), ['options.duration'])
  const noActor = thrown(() => e.createReleaseGroup({ id: 'x', name: 'X', process: 'train', cadence: 'FREQ=DAILY', duration: '1h', startsOn: '2025-04-02' }))
  assert.deepEqual([noActor.code, noActor.problems.map((p) => p.path)], ['invalid_input', ['options.actor']])
  const r = e.createRelease('train', { name: 'now', actor: rita })
  e.activate(r.id, { actor: rita })
  const [job] = e.claimJobs(['remote'], { worker: 'w', lease: '90s' })
  const [record] = e.listJobs().filter((j) => j.job.id === job.id)
  assert.equal(record.leaseUntil.getTime() - e.now().getTime(), 90_000)
})

test('calendar filters are typed with the Python names, actor included', () => {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-01T08:00:00Z')) })
  e.registerProcess({ id: 'train', phases: [{ id: 'ship', duration: '1d', activities: [{ id: 'go', kind: 'manual' }] }] })
  e.createReleaseGroup({ id: 'weekly', name: 'Weekly', process: 'train', actor: rita, cadence: { every: 'week', on: 'thursday', at: '14:00' }, duration: '2d', startsOn: '2025-04-03' })
  const olga = { id: 'olga', roles: ['viewer:payments'] }
  const [from, to] = [new Date('2025-04-01T00:00:00Z'), '2025-05-01T00:00:00Z']
  assert.equal(e.calendar(from, to, { groups: ['weekly'], statuses: ['scheduled'], kinds: ['standard'], scopes: ['account'] }).length, 4)
  assert.equal(e.calendar(from, to, { actor: rita }).length, 4)
  assert.equal(e.calendar(from, to, { actor: olga }).length, 0, 'an org viewer does not see account releases')
  const typo = thrown(() => e.calendar(from, to, { group: ['weekly'] }))
  assert.deepEqual([typo.code, typo.problems.map((p) => [p.path, p.code])], ['invalid_input', [['filters.group', 'unknown_field']]])
  assert.match(typo.problems[0].message, /valid: statuses, kinds, groups, scopes, services, environments, includeArchived, actor/)
  const status = thrown(() => e.calendar(from, to, { statuses: ['running', 'sleeping'] }))
  assert.deepEqual(status.problems.map((p) => p.path), ['filters.statuses[1]'])
  assert.equal(thrown(() => e.calendarIcs(from, to, { actor: rita })).problems[0].path, 'filters.actor')
})
