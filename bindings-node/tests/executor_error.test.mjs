// The `executor` error code reaches JS: claiming jobs needs executor names and a worker id.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Engine } = require('..')

test('claimJobs without executor names throws code executor', () => {
  const engine = Engine.inMemory()
  assert.throws(() => engine.claimJobs([], { worker: 'w1' }), (e) => e.code === 'executor' && /claim_jobs needs/.test(e.message))
})
