// What reading a release costs from Node: `getRelease` and `history` of one finished release of the
// peer flow (benches/peers/release.yaml: approval → automated step), and the whole flow per
// instance (createRelease → activate → approve → runUntilIdle), in memory.
//
// Usage: node bindings-node/bench/read_views.mjs [rounds] (default 15). Prints the median of the
// per-call times of every round (each round times a batch of calls) and the JSON size of the
// release. A benchmark, not a test: nothing here asserts a timing.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const { Engine } = createRequire(import.meta.url)('../index.js')
const rounds = Number(process.argv[2] ?? 15)

const engine = Engine.inMemory()
engine.registerExecutor('deploy', () => ({ url: 'https://prod.example' }))
engine.registerProcess(readFileSync(join(here, '..', '..', 'benches', 'peers', 'release.yaml'), 'utf8'))
const manager = { id: 'rita', roles: ['account_release_manager'] }
const approver = { id: 'ann', groups: ['approvers'] }

function flow(i) {
  const r = engine.createRelease('bench-release', { name: `bench ${i}`, actor: manager, inputs: {} })
  engine.activate(r.id, { actor: manager })
  engine.approve(r.id, 'approve', 'approve', { actor: approver, comment: 'ok' })
  engine.runUntilIdle()
  return r.id
}

/** The median over `rounds` of the mean time per call (µs) of `batch` calls of `fn`. */
function median(fn, batch) {
  const samples = []
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now()
    for (let i = 0; i < batch; i++) fn(i)
    samples.push(((performance.now() - t0) * 1000) / batch)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]
}

const id = flow(0)
for (let i = 0; i < 2000; i++) {
  engine.getRelease(id)
  engine.history(id)
}
const release = engine.getRelease(id)
const events = engine.history(id)
const results = {
  getRelease: median(() => engine.getRelease(id), 2000),
  history: median(() => engine.history(id), 2000),
  flow: median((i) => flow(i + 1), 300),
}
console.log(`release JSON ${JSON.stringify(release).length} bytes, history ${events.length} events`)
for (const [name, us] of Object.entries(results)) console.log(`${name.padEnd(12)} ${us.toFixed(1)} µs (median of ${rounds})`)
