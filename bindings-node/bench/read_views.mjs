// What reading a release costs from Node: `getRelease` and `history` of one finished release of the
// peer flow (benches/peers/release.yaml: approval → automated step), and the whole flow per
// instance (createRelease → activate → approve → runUntilIdle), in memory.
//
// Usage: node bindings-node/bench/read_views.mjs [addon/index.js …]
// With no argument it measures this package; with several (e.g. a build of another commit), it
// measures them interleaved in one process, so the comparison shares the machine's state. Prints
// the median over 21 rounds of the mean time per call in each round. A benchmark, not a test:
// nothing here asserts a timing.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const paths = process.argv.length > 2 ? process.argv.slice(2).map((p) => resolve(p)) : [join(here, '..', 'index.js')]
const yaml = readFileSync(join(here, '..', '..', 'benches', 'peers', 'release.yaml'), 'utf8')
const manager = { id: 'rita', roles: ['account_release_manager'] }
const approver = { id: 'ann', groups: ['approvers'] }
const ROUNDS = 21

function setup(trainyard) {
  const engine = trainyard.Engine.inMemory()
  engine.registerExecutor('deploy', () => ({ url: 'https://prod.example' }))
  engine.registerProcess(yaml)
  let n = 0
  const flow = () => {
    const r = engine.createRelease('bench-release', { name: `bench ${n++}`, actor: manager, inputs: {} })
    engine.activate(r.id, { actor: manager })
    engine.approve(r.id, 'approve', 'approve', { actor: approver, comment: 'ok' })
    engine.runUntilIdle()
    return r.id
  }
  const id = flow()
  const size = JSON.stringify(engine.getRelease(id)).length
  return { size, calls: { getRelease: [() => engine.getRelease(id), 2000], history: [() => engine.history(id), 2000], flow: [flow, 300] } }
}

const runs = paths.map((path) => ({ path, ...setup(require(path)) }))
const samples = new Map()
for (let round = 0; round < ROUNDS; round++) {
  for (const run of runs) {
    for (const [name, [fn, batch]] of Object.entries(run.calls)) {
      const t0 = performance.now()
      for (let i = 0; i < batch; i++) fn()
      const key = `${run.path}\t${name}`
      if (!samples.has(key)) samples.set(key, [])
      samples.get(key).push(((performance.now() - t0) * 1000) / batch)
    }
  }
}
for (const run of runs) {
  console.log(`${run.path} (release as JSON: ${run.size} bytes)`)
  for (const name of Object.keys(run.calls)) {
    const list = samples.get(`${run.path}\t${name}`).sort((a, b) => a - b)
    console.log(`  ${name.padEnd(11)} ${list[ROUNDS >> 1].toFixed(1)} µs`)
  }
}
