// The async driving calls never block the event loop: 100 releases run to completion with
// tickAsync() and Promise executors while an interval timer keeps firing; no gap between two of
// its ticks may exceed 50 ms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { trainyard } from './helpers.mjs'

const { Engine } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const RELEASES = 100
const MAX_GAP_MS = 50

test(`${RELEASES} releases driven by tickAsync never block the loop for more than ${MAX_GAP_MS} ms`, async (t) => {
  const engine = Engine.inMemory()
  let calls = 0
  engine.registerExecutor('deploy', async (job) => {
    calls += 1
    await sleep(20 + (calls % 5) * 10)
    return { url: `https://${job.inputs.service}.example/${job.releaseId}` }
  })
  engine.registerProcess({
    id: 'fleet',
    phases: [
      {
        id: 'stage',
        activities: [
          { id: 'api', kind: 'automated', executor: 'deploy', with: { service: 'api' }, outputs: ['url'] },
          { id: 'web', kind: 'automated', executor: 'deploy', with: { service: 'web' }, outputs: ['url'] },
        ],
      },
      {
        id: 'prod',
        depends_on: ['stage'],
        activities: [{ id: 'api', kind: 'automated', executor: 'deploy', with: { service: 'api' }, outputs: ['url'] }],
      },
    ],
  })
  const ids = []
  for (let i = 0; i < RELEASES; i++) {
    const r = engine.createRelease('fleet', { name: `Release ${i}`, actor: rita })
    engine.activate(r.id, { actor: rita })
    ids.push(r.id)
  }

  let last = performance.now()
  let maxGap = 0
  let ticks = 0
  const timer = setInterval(() => {
    const now = performance.now()
    maxGap = Math.max(maxGap, now - last)
    last = now
    ticks += 1
  }, 2)
  try {
    const deadline = Date.now() + 30_000
    let done = 0
    while (done < RELEASES) {
      assert.ok(Date.now() < deadline, `only ${done} of ${RELEASES} releases finished in time`)
      await engine.tickAsync()
      await sleep(1)
      done = (await engine.listReleasesAsync({ status: 'success' })).length
    }
  } finally {
    clearInterval(timer)
  }
  assert.equal(calls, RELEASES * 3, 'every activity ran once')
  for (const id of ids.slice(0, 3)) {
    assert.match(engine.getRelease(id).phases.prod.activities.api.outputs.url, new RegExp(`/${id}$`))
  }
  assert.ok(ticks >= 10, `the timer fired ${ticks} times`)
  t.diagnostic(`${ticks} timer ticks, longest gap ${maxGap.toFixed(1)} ms`)
  assert.ok(maxGap <= MAX_GAP_MS, `the event loop was blocked for ${maxGap.toFixed(1)} ms`)
})
