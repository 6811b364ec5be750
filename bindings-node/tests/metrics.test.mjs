// engine.metrics(): the core's metrics snapshot, with the same fields as Python's metrics() in camelCase.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { trainyard } from './helpers.mjs'

const { Engine } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }

test('metrics count commands, jobs and the queue depth', async () => {
  const engine = Engine.inMemory()
  engine.registerExecutor('build', () => ({ artifact: 'app.tgz' }))
  engine.registerProcess({
    id: 'm',
    phases: [{ id: 'a', activities: [
      { id: 'b', kind: 'automated', executor: 'build', outputs: ['artifact'] },
      { id: 'c', kind: 'automated', executor: 'remote' },
    ] }],
  })
  const release = engine.createRelease('m', { name: 'r', actor: rita })
  engine.activate(release.id, { actor: rita })
  await engine.runUntilIdleAsync()
  const m = engine.metrics()
  assert.deepEqual(Object.keys(m).sort(), [
    'commandLatency', 'commands', 'conflictsRetried', 'feedLag', 'jobsClaimed', 'leaseExpiries',
    'notificationLag', 'queueDepth', 'timerLag', 'timersFired',
  ])
  assert.equal(m.jobsClaimed, 1) // `remote` has no in-process executor: its job waits
  assert.deepEqual(m.queueDepth, { remote: 1 })
  assert.ok(m.commands >= 3)
  assert.equal(m.commandLatency.count, m.commands)
  assert.ok(m.commandLatency.sumSeconds > 0)
  assert.deepEqual(m.commandLatency.buckets.slice(0, 3).map((b) => b.le), [0.0001, 0.0005, 0.001])
  const again = await engine.metricsAsync()
  assert.equal(again.commands, m.commands)
  const text = engine.prometheusText()
  assert.ok(text.includes('trainyard_queue_depth{executor="remote"} 1\n'), text)
  assert.ok(text.includes('trainyard_jobs_claimed_total 1\n'), text)
})
