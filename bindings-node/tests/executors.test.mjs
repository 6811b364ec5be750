// Executors written in JS: plain return values, thrown errors, Promises (resolved, rejected, pending),
// values that are not outputs, external completion, and the same through the async driving calls.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }

/** An engine with one process: phase `work` runs activity `job` on executor `x`, then an approval. */
function setup(executor, { retry } = {}) {
  const engine = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  engine.registerExecutor('x', executor)
  const job = { id: 'job', kind: 'automated', executor: 'x', outputs: ['url'], with: { service: 'api' } }
  if (retry) job.retry = retry
  engine.registerProcess({
    id: 'p',
    phases: [
      { id: 'work', activities: [job] },
      { id: 'ok', depends_on: ['work'], activities: [{ id: 'sign', kind: 'approval', approvers: [{ group: 'qa' }] }] },
    ],
  })
  const release = engine.createRelease('p', { name: 'R', actor: rita })
  engine.activate(release.id, { actor: rita })
  const activity = () => engine.getRelease(release.id).phases.work.activities.job
  return { engine, id: release.id, activity }
}

/** Waits until `fn()` is true, failing after `ms`. */
async function until(fn, ms = 2000) {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await sleep(2)
  }
}

test('the executor receives the job and its returned object becomes the outputs', () => {
  const seen = []
  const { engine, id, activity } = setup((job) => {
    seen.push(job)
    return { url: `https://${job.inputs.service}.example` }
  })
  assert.equal(engine.runUntilIdle(), 1)
  assert.equal(seen.length, 1)
  const [job] = seen
  assert.deepEqual(
    { releaseId: job.releaseId, phaseId: job.phaseId, activityId: job.activityId, attempt: job.attempt, executor: job.executor, inputs: job.inputs },
    { releaseId: id, phaseId: 'work', activityId: 'job', attempt: 0, executor: 'x', inputs: { service: 'api' } },
  )
  assert.equal(job.id, `${id}/work/job/0`)
  assert.equal(job.deadline, null, 'no timeout, no deadline (absent values are null)')
  assert.equal(activity().status, 'success')
  assert.deepEqual(activity().outputs, { url: 'https://api.example' })
  assert.equal(engine.getRelease(id).phases.ok.activities.sign.status, 'waiting_for_input')
})

test('returning nothing is a success without outputs', () => {
  const { engine, activity } = setup(() => undefined)
  engine.runUntilIdle()
  assert.equal(activity().status, 'success')
  assert.deepEqual(activity().outputs, {})
})

test('a thrown error fails the attempt with its message (held by the default policy)', () => {
  const { engine, id, activity } = setup(() => {
    throw new TypeError('registry unreachable')
  })
  engine.runUntilIdle()
  assert.equal(activity().status, 'on_hold')
  assert.equal(activity().error, 'registry unreachable')
  assert.equal(engine.getRelease(id).status, 'on_hold')
  const failed = engine.history(id).find((e) => e.kind === 'activity_failed')
  assert.ok(failed, 'an activity_failed event is recorded')
  assert.equal(JSON.stringify(failed.data).includes('registry unreachable'), true)
})

test('thrown non-errors fail with their text; err.retryable = false skips automatic retries', () => {
  let calls = 0
  const { engine, activity } = setup(
    () => {
      calls += 1
      throw Object.assign(new Error('quota exhausted'), { retryable: false })
    },
    { retry: { max_attempts: 3 } },
  )
  engine.runUntilIdle()
  assert.equal(calls, 1, 'no automatic retry')
  assert.equal(activity().status, 'on_hold')

  const { engine: e2, activity: a2 } = setup(() => {
    throw 'plain string' // eslint-disable-line no-throw-literal
  })
  e2.runUntilIdle()
  assert.equal(a2().error, 'plain string')
})

test('a retryable thrown error is retried by the retry policy', () => {
  let calls = 0
  const { engine, activity } = setup(
    (job) => {
      calls += 1
      if (job.attempt === 0) throw new Error('flaky')
      return { url: 'u' }
    },
    { retry: { max_attempts: 2 } },
  )
  engine.runUntilIdle()
  assert.equal(calls, 2)
  assert.equal(activity().status, 'success')
  assert.equal(activity().attempt, 1)
})

test('a value that is not an object of outputs fails the attempt and says what to return', () => {
  for (const [value, what] of [[42, 'a number'], ['ok', 'a string'], [[1], 'an array']]) {
    const { engine, activity } = setup(() => value)
    engine.runUntilIdle()
    assert.equal(activity().status, 'on_hold', what)
    assert.match(activity().error, new RegExp(`executor \`x\` returned ${what}; return an object of outputs`))
  }
})

test('a Promise leaves the activity running until it resolves, then its value is the outputs', async () => {
  let resolve
  const { engine, id, activity } = setup(() => new Promise((r) => (resolve = r)))
  engine.runUntilIdle()
  assert.equal(activity().status, 'running')
  assert.equal(engine.getRelease(id).status, 'running')
  await sleep(5)
  assert.equal(activity().status, 'running', 'still running while the Promise is pending')
  resolve({ url: 'https://late.example' })
  await until(() => activity().status === 'success')
  assert.deepEqual(activity().outputs, { url: 'https://late.example' })
  assert.equal(engine.getRelease(id).phases.ok.activities.sign.status, 'waiting_for_input')
})

test('an async function executor works like a Promise; a rejection fails with its message', async () => {
  const { engine, activity } = setup(async () => {
    await sleep(5)
    throw new Error('deploy rejected by the cluster')
  })
  engine.runUntilIdle()
  assert.equal(activity().status, 'running')
  await until(() => activity().status !== 'running')
  assert.equal(activity().status, 'on_hold')
  assert.equal(activity().error, 'deploy rejected by the cluster')
})

test('a Promise settling after the release was aborted is dropped without error', async () => {
  let resolve
  const { engine, id, activity } = setup(() => new Promise((r) => (resolve = r)))
  engine.runUntilIdle()
  engine.abort(id, { actor: rita, reason: 'stop' })
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  resolve({ url: 'x' })
  await sleep(10)
  process.off('warning', onWarning)
  assert.equal(activity().status, 'aborted')
  assert.deepEqual(warnings, [])
})

test('completeJob reports a job run elsewhere; a stale report is a conflict', async () => {
  const { engine, id, activity } = setup(() => new Promise(() => {}))
  engine.runUntilIdle()
  const jobId = activity().jobId
  engine.completeJob(jobId, { outputs: { url: 'https://external.example' } })
  assert.equal(activity().status, 'success')
  assert.deepEqual(activity().outputs, { url: 'https://external.example' })
  const err = thrown(() => engine.completeJob(jobId, { error: 'late' }))
  assert.ok(['conflict', 'invalid_transition'].includes(err.code), `${err.code}: ${err.message}`)
  assert.equal(thrown(() => engine.completeJob('nonsense')).code, 'not_found')
  assert.equal(engine.getRelease(id).status, 'on_hold')
})

test('queuedJobs lists jobs not yet run', () => {
  const { engine, id } = setup(() => ({}))
  const queued = engine.queuedJobs()
  assert.equal(queued.length, 1)
  assert.equal(queued[0].releaseId, id)
  engine.tick()
  assert.deepEqual(engine.queuedJobs(), [])
})

test('tickAsync and runUntilIdleAsync call executors on the JS thread and resolve to counts', async () => {
  const order = []
  const { engine, activity } = setup((job) => {
    order.push(`executor ${job.activityId}`)
    return { url: 'async' }
  })
  const pending = engine.runUntilIdleAsync()
  order.push('returned')
  assert.equal(await pending, 1)
  assert.deepEqual(order, ['returned', 'executor job'], 'the call returned before the executor ran')
  assert.equal(activity().status, 'success')
  assert.equal(await engine.tickAsync(), 0)
})

test('Promise executors under tickAsync complete through the Promise', async () => {
  const { engine, activity } = setup(async (job) => {
    await sleep(5)
    return { url: `attempt-${job.attempt}` }
  })
  await engine.tickAsync()
  assert.equal(activity().status, 'running')
  await until(() => activity().status === 'success')
  assert.deepEqual(activity().outputs, { url: 'attempt-0' })
})

test('an executor that throws under runUntilIdleAsync fails the attempt, not the call', async () => {
  const { engine, activity } = setup(() => {
    throw new Error('async boom')
  })
  assert.equal(await engine.runUntilIdleAsync(), 1)
  assert.equal(activity().status, 'on_hold')
  assert.equal(activity().error, 'async boom')
})

test('registering an executor again replaces it', () => {
  const { engine, activity } = setup(() => ({ url: 'first' }))
  engine.registerExecutor('x', () => ({ url: 'second' }))
  engine.runUntilIdle()
  assert.deepEqual(activity().outputs, { url: 'second' })
})
