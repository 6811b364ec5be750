// Storage backends (sqlite reopen, PostgreSQL), external workers with lease tokens, input sets,
// notifications, secrets, authorization on reads, retention, the release level and the built-in
// command executor.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const vera = { id: 'vera', roles: ['viewer'] }
const nobody = { id: 'nobody' }
const START = new Date('2025-04-07T09:00:00Z')

const GATED = {
  id: 'gated',
  inputs: { version: { type: 'string', default: '1.0.0' }, region: { type: 'string', default: 'us' } },
  phases: [
    { id: 'build', activities: [{ id: 'compile', kind: 'automated', executor: 'build', outputs: ['artifact'] }] },
    {
      id: 'ship',
      depends_on: ['build'],
      activities: [{ id: 'qa', kind: 'approval', approvers: [{ group: 'qa' }] }],
    },
  ],
}

async function until(fn, ms = 3000) {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await sleep(2)
  }
}

/** Runs a release of GATED up to its approval on `engine`, then approves on `other`. */
function continuesOnSecondEngine(first, second) {
  first.registerExecutor('build', (job) => ({ artifact: `app-${job.attempt}.tgz` }))
  first.registerProcess(GATED)
  const r = first.createRelease('gated', { name: 'Persistent', actor: rita, owners: ['rita'] })
  first.activate(r.id, { actor: rita })
  first.runUntilIdle()
  assert.equal(first.getRelease(r.id).status, 'on_hold')
  second.approve(r.id, 'ship', 'qa', { actor: { id: 'quinn', groups: ['qa'] }, comment: 'ok' })
  second.runUntilIdle()
  const done = second.getRelease(r.id)
  assert.equal(done.status, 'success')
  assert.deepEqual(done.phases.build.activities.compile.outputs, { artifact: 'app-0.tgz' })
  assert.equal(first.getRelease(r.id).status, 'success', 'the first engine sees the change')
  return r.id
}

test('sqlite: a second engine on the same file continues a release; a reopened file keeps it', async (t) => {
  const dir = tempDir('trainyard-sqlite-')
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const url = `sqlite://${join(dir, 'releases.db')}`
  const clock = new ManualClock(START)
  const first = Engine.open(url, { clock })
  const second = await Engine.openAsync(url, { clock })
  const id = continuesOnSecondEngine(first, second)
  const reopened = Engine.open(url)
  assert.deepEqual(reopened.listProcesses(), [{ id: 'gated', version: 1 }])
  assert.equal((await reopened.getReleaseAsync(id)).status, 'success')
  assert.ok(reopened.history(id).some((e) => e.kind === 'approval_recorded'))
})

const PG = process.env.TRAINYARD_TEST_POSTGRES
test('postgres: two engines on one schema continue a release (TRAINYARD_TEST_POSTGRES)', { skip: !PG && process.env.CI !== 'true' ? 'TRAINYARD_TEST_POSTGRES is not set' : false }, async () => {
  assert.ok(PG, 'TRAINYARD_TEST_POSTGRES is required when CI=true')
  const schema = `node_${process.pid}_${Date.now()}`
  const url = `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}`
  const clock = new ManualClock(START)
  const first = await Engine.openAsync(url, { clock })
  const second = Engine.open(url, { clock })
  const id = continuesOnSecondEngine(first, second)
  assert.equal((await second.listReleasesAsync({ status: 'success' })).map((r) => r.id).join(), id)
})

test('storage URLs: unknown schemes and unreachable databases throw code storage, without the password', async () => {
  assert.equal(thrown(() => Engine.open('ftp://x')).code, 'storage')
  const err = thrown(() => Engine.open('postgres://app:s3cret@127.0.0.1:1/none'))
  assert.equal(err.code, 'storage')
  assert.doesNotMatch(err.message, /s3cret/)
  await assert.rejects(Engine.openAsync('nope://'), (e) => e.code === 'storage')
})

test('release level organization: org scopes only; org managers manage their org only', () => {
  const e = Engine.inMemory({ releaseLevel: 'organization', clock: new ManualClock(START) })
  assert.equal(e.releaseLevel, 'organization')
  assert.equal(Engine.inMemory().releaseLevel, 'account')
  e.registerExecutor('build', () => ({ artifact: 'x' }))
  e.registerProcess(GATED)
  const account = thrown(() => e.createRelease('gated', { name: 'A', actor: rita }))
  assert.equal(account.code, 'invalid_input')
  assert.deepEqual(account.problems.map((p) => [p.path, p.code]), [['scope', 'release_level_mismatch']])
  const olga = { id: 'olga', roles: ['org_release_manager:payments'] }
  const r = e.createRelease('gated', { name: 'Payments', actor: olga, scope: 'org:payments' })
  assert.equal(r.scope, 'org:payments')
  assert.equal(thrown(() => e.createRelease('gated', { name: 'B', actor: olga, scope: 'org:search' })).code, 'permission_denied')
  assert.equal(thrown(() => e.getRelease(r.id, { actor: { id: 'sam', roles: ['org_release_manager:search'] } })).code, 'permission_denied')
  assert.equal(e.getRelease(r.id, { actor: { id: 'pat', roles: ['viewer:payments'] } }).id, r.id)
  const bad = thrown(() => Engine.inMemory({ releaseLevel: 'galaxy' }))
  assert.equal(bad.code, 'invalid_input')
  assert.deepEqual(bad.problems.map((p) => [p.path, p.code]), [['options.releaseLevel', 'invalid_value']])
})

test('authorization: a viewer reads but cannot command (permission_denied); strangers read nothing', async () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerExecutor('build', () => ({ artifact: 'x' }))
  e.registerProcess(GATED)
  const denied = thrown(() => e.createRelease('gated', { name: 'V', actor: vera }))
  assert.equal(denied.code, 'permission_denied')
  const r = e.createRelease('gated', { name: 'R', actor: rita })
  for (const command of [() => e.activate(r.id, { actor: vera }), () => e.abort(r.id, { actor: vera, reason: 'x' })]) {
    const err = thrown(command)
    assert.equal(err.code, 'permission_denied')
    assert.match(err.message, /vera/)
  }
  assert.equal(e.getRelease(r.id, { actor: vera }).id, r.id)
  assert.equal(e.history(r.id, { actor: vera }).length, 1)
  assert.deepEqual(e.listReleases({ actor: vera }).map((x) => x.id), [r.id])
  assert.equal(thrown(() => e.getRelease(r.id, { actor: nobody })).code, 'permission_denied')
  assert.equal(thrown(() => e.history(r.id, { actor: nobody })).code, 'permission_denied')
  assert.deepEqual(e.listReleases({ actor: nobody }), [])
  assert.deepEqual(await e.listReleasesAsync({ actor: nobody }), [])
  await assert.rejects(e.getReleaseAsync(r.id, { actor: nobody }), (err) => err.code === 'permission_denied')
  assert.equal((await e.getReleaseAsync(r.id, { actor: vera })).status, 'draft')
  assert.equal(e.history(r.id).length, 1, 'nothing was written by the refused commands')
})

test('workers: claimJobs with lease tokens, heartbeat, listJobs; a stale token is a conflict', async () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess({ ...GATED, phases: [{ id: 'build', activities: [{ id: 'compile', kind: 'automated', executor: 'remote', outputs: ['artifact'] }] }] })
  const r = e.createRelease('gated', { name: 'Remote', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  assert.equal(e.listJobs().length, 1)
  assert.equal(e.listJobs()[0].worker, null, 'not claimed yet')
  assert.deepEqual(e.claimJobs(['other'], { worker: 'w0' }), [])

  const [job] = e.claimJobs(['remote'], { worker: 'w1', limit: 5, lease: 60_000 })
  assert.equal(job.id, `${r.id}/build/compile/0`)
  assert.equal(job.executor, 'remote')
  assert.equal(job.deliveries, 1)
  assert.equal(typeof job.leaseToken, 'string')
  assert.equal(e.getRelease(r.id).phases.build.activities.compile.status, 'running')
  const [record] = e.listJobs()
  assert.equal(record.worker, 'w1')
  assert.ok(record.leaseUntil instanceof Date)
  assert.ok(e.heartbeat(job.id, job.leaseToken) instanceof Date)
  assert.deepEqual(e.claimJobs(['remote'], { worker: 'w2' }), [], 'leased jobs are not handed out twice')

  clock.advance(10 * 60_000) // past the lease (the heartbeat extended it by 5 minutes)
  const [again] = await e.claimJobsAsync(['remote'], { worker: 'w2', lease: 60_000 })
  assert.equal(again.id, job.id)
  assert.equal(again.deliveries, 2)
  assert.notEqual(again.leaseToken, job.leaseToken)
  const stale = thrown(() => e.completeJob(job.id, { leaseToken: job.leaseToken, outputs: { artifact: 'old' } }))
  assert.equal(stale.code, 'conflict')
  assert.equal(thrown(() => e.heartbeat(job.id, job.leaseToken)).code, 'conflict')
  await assert.rejects(e.heartbeatAsync(job.id, job.leaseToken), (err) => err.code === 'conflict')
  await e.completeJobAsync(again.id, { leaseToken: again.leaseToken, outputs: { artifact: 'app.tgz' } })
  const done = e.getRelease(r.id)
  assert.equal(done.status, 'success')
  assert.deepEqual(done.phases.build.activities.compile.outputs, { artifact: 'app.tgz' })
  assert.deepEqual(e.listJobs(), [])
  assert.equal(thrown(() => e.claimJobs(['remote'], { worker: 'w', lease: 0 })).code, 'invalid_input')
})

test('workers: a failure reported with a token holds the activity; tokenless completion still works', () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerProcess({ id: 'two', phases: [{ id: 'p', activities: [
    { id: 'a', kind: 'automated', executor: 'remote' },
    { id: 'b', kind: 'automated', executor: 'remote' },
  ] }] })
  const r = e.createRelease('two', { name: 'Two', actor: rita })
  e.activate(r.id, { actor: rita })
  const jobs = e.claimJobs(['remote'], { worker: 'w' })
  assert.equal(jobs.length, 2)
  e.completeJob(jobs[0].id, { leaseToken: jobs[0].leaseToken, error: 'disk full', retryable: false })
  e.completeJob(jobs[1].id, { outputs: {} })
  const acts = e.getRelease(r.id).phases.p.activities
  assert.equal(acts[jobs[0].activityId].status, 'on_hold')
  assert.equal(acts[jobs[0].activityId].error, 'disk full')
  assert.equal(acts[jobs[1].activityId].status, 'success')
})

test('input sets: save (versioned, checked, managers only), get, list; createRelease with inputSet', () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerExecutor('build', () => ({ artifact: 'x' }))
  e.registerProcess(GATED)
  assert.equal(e.saveInputSet('gated', 'prod', { region: 'eu' }, { actor: rita }), 1)
  assert.equal(e.saveInputSet('gated', 'prod', { region: 'eu', version: '2.0.0' }, { actor: rita }), 2)
  assert.deepEqual(e.getInputSet('gated', 'prod'), { processId: 'gated', name: 'prod', version: 2, scope: 'account', values: { region: 'eu', version: '2.0.0' } })
  assert.deepEqual(e.getInputSet('gated', 'prod', 1).values, { region: 'eu' })
  assert.deepEqual(e.listInputSets('gated'), [{ name: 'prod', version: 2 }])
  assert.deepEqual(e.listInputSets('other'), [])

  const latest = e.createRelease('gated', { name: 'Latest', actor: rita, inputSet: 'prod', inputs: { region: 'ap' } })
  assert.deepEqual(latest.inputs, { version: '2.0.0', region: 'ap' }, 'explicit inputs win over the set')
  const pinned = e.createRelease('gated', { name: 'Pinned', actor: rita, inputSet: 'prod', inputSetVersion: 1 })
  assert.deepEqual(pinned.inputs, { version: '1.0.0', region: 'eu' })
  const created = e.history(pinned.id)[0]
  assert.match(JSON.stringify(created.data), /prod/)

  assert.equal(thrown(() => e.saveInputSet('gated', 'qa', { region: 'eu' }, { actor: vera })).code, 'permission_denied')
  const unknown = thrown(() => e.saveInputSet('gated', 'qa', { colour: 'red' }, { actor: rita }))
  assert.equal(unknown.code, 'invalid_input')
  assert.ok(unknown.problems.length >= 1)
  const missing = thrown(() => e.createRelease('gated', { name: 'x', actor: rita, inputSet: 'staging' }))
  assert.equal(missing.code, 'not_found')
  assert.match(missing.message, /its input sets at `account`: prod/)
  assert.equal(thrown(() => e.getInputSet('gated', 'prod', 9)).code, 'not_found')
})

test('subscribe: notifications on the JS thread, from sync calls and from worker threads; throws are counted', async () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerExecutor('build', async () => ({ artifact: 'x' }))
  e.registerProcess(GATED)
  const seen = []
  e.subscribe((n) => {
    seen.push(n)
  })
  let thrownCount = 0
  e.subscribe(() => {
    thrownCount += 1
    throw new Error('mail server down')
  })
  const r = e.createRelease('gated', { name: 'Notify', actor: rita, owners: ['rita'] })
  e.activate(r.id, { actor: rita })
  const started = seen.find((n) => n.kind === 'release_started')
  assert.ok(started, 'delivered during the synchronous call')
  assert.equal(started.releaseId, r.id)
  assert.equal(started.releaseName, 'Notify')
  assert.deepEqual(started.recipients, ['rita'])
  assert.ok(started.at instanceof Date)
  assert.equal(typeof started.seq, 'number')
  assert.match(started.message, /Notify/)
  assert.ok(e.notificationFailures() >= 1, 'the throwing subscriber was counted')

  await e.runUntilIdleAsync() // the deploy's Promise settles and is reported off the JS thread
  await until(() => seen.some((n) => n.kind === 'approval_requested'))
  const approval = seen.find((n) => n.kind === 'approval_requested')
  assert.equal(approval.phase, 'ship')
  assert.equal(approval.activity, 'qa')
  assert.deepEqual(approval.recipients, ['group:qa'])
  assert.equal(e.getRelease(r.id).status, 'on_hold')
  e.approve(r.id, 'ship', 'qa', { actor: { id: 'quinn', groups: ['qa'] } })
  const ended = seen.find((n) => n.kind === 'release_ended')
  assert.equal(ended.status, 'success')
  assert.equal(e.notificationFailures(), thrownCount, 'every throw counted once')
})

const SECRET = 's3cr3t-value-42'
const SECRET_PROCESS = {
  id: 'deploy-with-token',
  inputs: { apiToken: { type: 'secret', default: 'secret://deploy-token' } },
  phases: [{ id: 'deploy', activities: [
    { id: 'push', kind: 'automated', executor: 'echo', outputs: ['seen'], with: { header: 'Bearer ${inputs.apiToken}' } },
    { id: 'remote', kind: 'automated', executor: 'worker', depends_on: ['push'], with: { token: '${inputs.apiToken}' } },
  ] }],
}

for (const [kind, resolver] of [
  ['object', { 'deploy-token': SECRET }],
  ['function', (name) => (name === 'deploy-token' ? SECRET : (() => { throw new Error(`no secret ${name}`) })())],
]) {
  test(`secrets (${kind} resolver): executors and workers get the value; it never reaches history or reads`, async () => {
    const e = Engine.inMemory({ clock: new ManualClock(START) })
    const got = []
    e.registerExecutor('echo', (job) => {
      got.push(job.inputs.header)
      return { seen: job.inputs.header }
    })
    e.registerProcess(SECRET_PROCESS)
    e.setSecretResolver(resolver)
    const r = e.createRelease('deploy-with-token', { name: 'Secret', actor: rita })
    e.activate(r.id, { actor: rita })
    await e.runUntilIdleAsync()
    assert.deepEqual(got, [`Bearer ${SECRET}`])
    const [job] = e.claimJobs(['worker'], { worker: 'w' })
    assert.equal(job.inputs.token, SECRET)
    e.completeJob(job.id, { leaseToken: job.leaseToken, outputs: { echoed: `token was ${SECRET}` } })
    const release = e.getRelease(r.id)
    assert.equal(release.status, 'success')
    assert.equal(release.phases.deploy.activities.push.outputs.seen, 'Bearer ***')
    const everything = JSON.stringify([release, e.history(r.id), e.listReleases(), e.listJobs()])
    assert.ok(!everything.includes(SECRET), 'the secret value appears nowhere')
    assert.ok(everything.includes('secret://deploy-token'), 'the reference is kept')
  })
}

test('secrets: without a resolver the job fails naming the secret; bad resolvers are refused', () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerExecutor('echo', () => ({ seen: 'x' }))
  e.registerProcess(SECRET_PROCESS)
  const r = e.createRelease('deploy-with-token', { name: 'No resolver', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  const push = e.getRelease(r.id).phases.deploy.activities.push
  assert.equal(push.status, 'on_hold')
  assert.match(push.error, /secret/)
  for (const [bad, path] of [[42, 'resolver'], [{ a: 1 }, 'resolver.a'], [{ a: '\ud800' }, 'resolver.a']]) {
    const err = thrown(() => e.setSecretResolver(bad))
    assert.equal(err.code, 'invalid_input', err.message)
    assert.deepEqual(err.problems.map((p) => p.path), [path])
  }
})

test('applyRetention archives releases that ended more than a year ago; deleteRelease follows the rules', () => {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerExecutor('build', () => ({ artifact: 'x' }))
  e.registerProcess(GATED)
  const r = e.createRelease('gated', { name: 'Old', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  e.abort(r.id, { actor: rita, reason: 'old' })
  assert.equal(thrown(() => e.deleteRelease(r.id, { actor: rita })).code, 'invalid_transition')
  assert.deepEqual(e.applyRetention(), [])
  assert.deepEqual(e.applyRetention(new Date(START.getTime() + 400 * 86_400_000)), [r.id])
  assert.equal(e.getRelease(r.id).archived, true)
  assert.equal(thrown(() => e.deleteRelease(r.id, { actor: rita })).code, 'invalid_transition', 'still inside the retention period')
  clock.advance(400 * 86_400_000)
  e.deleteRelease(r.id, { actor: rita })
  assert.equal(thrown(() => e.getRelease(r.id)).code, 'not_found')
})

test('registerCommandExecutor runs programs (off the JS thread with runUntilIdleAsync)', { skip: process.platform === 'win32' }, async (t) => {
  const dir = tempDir('trainyard-cmd-')
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const script = join(dir, 'build.sh')
  writeFileSync(script, '#!/bin/sh\necho "artifact=app-$1.tgz" >> "$TRAINYARD_OUTPUT"\necho "cwd=$(pwd)" >> "$TRAINYARD_OUTPUT"\n')
  chmodSync(script, 0o755)
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerCommandExecutor(undefined, { baseDir: dir })
  e.registerCommandExecutor('sh')
  e.registerProcess({ id: 'cmd', phases: [{ id: 'build', activities: [
    { id: 'make', kind: 'automated', executor: 'command', with: { argv: ['./build.sh', '1.2.3'] }, outputs: ['artifact'] },
    { id: 'bad', kind: 'automated', executor: 'sh', with: { argv: 'exit 3', shell: true }, on_failure: 'ignore' },
  ] }] })
  const r = e.createRelease('cmd', { name: 'Cmd', actor: rita })
  e.activate(r.id, { actor: rita })
  await e.runUntilIdleAsync()
  const acts = e.getRelease(r.id).phases.build.activities
  assert.equal(acts.make.status, 'success')
  assert.equal(acts.make.outputs.artifact, 'app-1.2.3.tgz')
  assert.equal(acts.bad.status, 'ignored')
  assert.match(acts.bad.error, /exit/)
})
