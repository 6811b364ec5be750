// Locks from Node: releases contending for an environment wait their turn (`pending`, `waitingOn`
// kind `lock`), `engine.locks()` shows the holder and the waiters in queue order, the holder's end
// hands the lock on, a hotfix's priority puts it ahead of an older release, an activity's own lock
// is in `activity.locks`, and a bad lock definition is refused with every problem (the rules are
// the core's; bindings-python/tests/test_locks.py runs the same scenarios from Python).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')
const HOUR = 3_600_000
const PROD1 = 'environment:prod1'
const views = JSON.parse(readFileSync(join(repoRoot, 'testdata', 'api', 'views.json'), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

/** Phase `prod` holds `environment:${inputs.env}` while its work (the manual step `go`) runs; a hotfix goes ahead in the queue. Then phase `after`. */
const DEPLOY = {
  id: 'deploy',
  inputs: { env: { type: 'string', default: 'prod1' } },
  phases: [
    {
      id: 'prod',
      locks: [{ name: 'environment:${inputs.env}', priority: { hotfix: 10 } }],
      activities: [{ id: 'go', kind: 'manual', owners: ['rita'] }],
    },
    { id: 'after', depends_on: ['prod'], activities: [{ id: 'done', kind: 'manual', owners: ['rita'] }] },
  ],
}
/** The manual step `run` holds `service:api` itself (two releases at once). */
const OWN_LOCK = {
  id: 'own',
  phases: [{ id: 'prod', activities: [{ id: 'run', kind: 'manual', owners: ['rita'], locks: [{ name: 'service:api', capacity: 2 }] }] }],
}

function engine(clock = new ManualClock(START)) {
  const e = Engine.inMemory({ clock })
  e.registerProcess(DEPLOY)
  e.registerProcess(OWN_LOCK)
  return e
}

function start(e, name, kind = 'standard', process = 'deploy') {
  const r = e.createRelease(process, { name, actor: rita, kind })
  e.activate(r.id, { actor: rita })
  return r.id
}

const status = (e, id, phase = 'prod', activity = 'go') => e.getRelease(id).phases[phase].activities[activity].status
/** `[release name, held]` of every row of the lock, in the order `engine.locks` gives. */
const queue = (e, name = PROD1) => e.locks([name]).map((l) => [l.releaseName, l.heldSince !== null])
const done = (e, id) => e.completeManual(id, 'prod', 'go', { actor: rita, values: {} })

test('the second release waits for the environment and gets it when the first ends', async () => {
  const clock = new ManualClock(START)
  const e = engine(clock)
  const a = start(e, 'A')
  const b = start(e, 'B')
  assert.equal(status(e, a), 'waiting_for_input')
  assert.equal(status(e, b), 'pending', 'B waits for the environment')
  assert.deepEqual(e.getRelease(b).waitingOn, { kind: 'lock', phaseId: 'prod', activityId: 'go' })

  const [holder, waiter] = e.locks([PROD1])
  assert.deepEqual([holder.releaseId, holder.releaseName, holder.heldSince.toISOString()], [a, 'A', START.toISOString()])
  assert.deepEqual([waiter.releaseId, waiter.releaseName, waiter.heldSince], [b, 'B', null])
  const [claim] = e.getRelease(b).phases.prod.locks
  assert.deepEqual(
    { ...claim, requestedAt: claim.requestedAt.toISOString() },
    {
      name: PROD1, releaseId: b, releaseName: 'B', phaseId: 'prod', activityId: null, requestedBy: 'prod/go',
      capacity: 1, priority: 0, requestedAt: START.toISOString(), heldSince: null,
    },
  )
  assert.deepEqual(e.getRelease(b).phases.prod.activities.go.locks, [], "a phase's lock is the phase's")
  assert.deepEqual(e.locks(['environment:nowhere']), [])
  assert.deepEqual(e.locks().map((l) => l.releaseName), ['A', 'B'], 'every lock when no names are given')
  assert.deepEqual((await e.locksAsync(null)).map((l) => l.releaseName), ['A', 'B'])

  clock.advance('1h')
  done(e, a)
  assert.equal(status(e, b), 'waiting_for_input', 'B, the waiter, goes')
  const [nowHeld] = await e.locksAsync([PROD1])
  assert.deepEqual(
    [nowHeld.releaseName, nowHeld.requestedAt.getTime(), nowHeld.heldSince.getTime()],
    ['B', START.getTime(), START.getTime() + HOUR],
  )
  assert.deepEqual(e.getRelease(a).phases.prod.locks, [], 'A let go when its work ended')
  done(e, b)
  assert.deepEqual(e.locks([PROD1]), [])
})

test('a hotfix with priority goes ahead of an older standard waiter', () => {
  const e = engine()
  const train = start(e, 'train')
  const feature = start(e, 'feature')
  const hotfix = start(e, 'hotfix', 'hotfix')
  assert.deepEqual(queue(e), [['hotfix', false], ['train', true], ['feature', false]], 'queue order: priority, then age')
  assert.deepEqual(e.locks([PROD1]).map((l) => l.priority), [10, 0, 0])
  done(e, train)
  assert.equal(status(e, hotfix), 'waiting_for_input')
  assert.equal(status(e, feature), 'pending')
  assert.deepEqual(queue(e), [['hotfix', true], ['feature', false]])
})

test("an activity's own lock is in its view, with its capacity", () => {
  const e = engine()
  const ids = ['A', 'B', 'C'].map((name) => start(e, name, 'standard', 'own'))
  assert.deepEqual(ids.map((id) => status(e, id, 'prod', 'run')), ['waiting_for_input', 'waiting_for_input', 'pending'])
  const c = e.getRelease(ids[2])
  const [claim] = c.phases.prod.activities.run.locks
  assert.deepEqual(
    [claim.name, claim.phaseId, claim.activityId, claim.requestedBy, claim.capacity, claim.heldSince],
    ['service:api', 'prod', 'run', 'prod/run', 2, null],
  )
  assert.deepEqual(c.phases.prod.locks, [])
  assert.deepEqual([c.waitingOn.kind, c.waitingOn.activityId], ['lock', 'run'])
  assert.deepEqual(queue(e, 'service:api'), [['A', true], ['B', true], ['C', false]])
})

test('a lock has the fields of the core view, camelCased and in order, times as Dates', () => {
  const e = engine()
  start(e, 'A')
  const [lock] = e.locks([PROD1])
  assert.deepEqual(Object.keys(lock), views.lock.map(camel))
  assert.ok(lock.requestedAt instanceof Date && lock.heldSince instanceof Date)
  const [fromView] = e.getRelease(lock.releaseId).phases.prod.locks
  assert.deepEqual(fromView, lock, 'the release view and engine.locks() agree')
})

test('a bad lock definition is refused with every problem', () => {
  const bad = {
    id: 'bad',
    phases: [
      {
        id: 'p',
        locks: [{ name: 'a', capacity: 0 }],
        activities: [{ id: 'x', kind: 'manual', owners: ['rita'], locks: [{ name: 'b', hold_through_approval: true }] }],
      },
    ],
  }
  const err = thrown(() => Engine.inMemory().registerProcess(bad))
  assert.equal(err.code, 'validation')
  assert.deepEqual(err.problems.map((p) => [p.path, p.code]), [
    ['phases[0].locks[0].capacity', 'bad_lock'],
    ['phases[0].activities[0].locks[0].hold_through_approval', 'bad_lock'],
  ])
})

test('locks checks its argument, sync and async', async () => {
  const e = Engine.inMemory()
  const err = thrown(() => e.locks(42))
  assert.equal(err.code, 'invalid_input')
  assert.deepEqual(err.problems.map((p) => p.path), ['names'])
  await assert.rejects(e.locksAsync(['ok', 7]), (x) => x.code === 'invalid_input' && x.problems[0].path === 'names[1]')
})

test('with an actor, only the rows of releases they may read', async () => {
  const e = Engine.inMemory({ clock: new ManualClock(START), releaseLevel: 'organization' })
  e.registerProcess(DEPLOY)
  for (const [org, name] of [['acme', 'Acme deploy'], ['globex', 'Globex deploy']]) {
    const manager = { id: 'omar', roles: [`org_release_manager:${org}`] }
    const r = e.createRelease('deploy', { name, actor: manager, scope: `org:${org}` })
    e.activate(r.id, { actor: manager })
  }
  assert.deepEqual(e.locks([PROD1]).map((l) => l.releaseName), ['Acme deploy', 'Globex deploy'])
  const ann = { id: 'ann', roles: ['org_release_manager:globex'] }
  assert.deepEqual(e.locks([PROD1], { actor: ann }).map((l) => l.releaseName), ['Globex deploy'])
  assert.deepEqual((await e.locksAsync([PROD1], { actor: ann })).map((l) => l.releaseName), ['Globex deploy'])
})
