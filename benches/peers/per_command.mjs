// Time per call of each command of the peer flow (createRelease, activate, approve, runUntilIdle)
// from Node, in memory: N flows (default 5,000), twice; prints the second round's mean per call in
// µs. The Python twin is per_command.py.
//
// Usage: node benches/peers/per_command.mjs [N] [path/to/index.js]
// A benchmark, not a test: nothing here asserts a timing.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const n = Number(process.argv[2] ?? 5000)
const ty = require(process.argv[3] ? resolve(process.argv[3]) : join(here, '..', '..', 'bindings-node'))
const engine = ty.Engine.inMemory()
engine.registerExecutor('deploy', () => ({ url: 'https://prod.example' }))
engine.registerProcess(readFileSync(join(here, 'release.yaml'), 'utf8'))
const manager = { id: 'rita', roles: ['account_release_manager'] }
const approver = { id: 'ann', groups: ['approvers'] }
let spent = {}
for (let round = 0; round < 2; round++) {
  spent = { create: 0, activate: 0, approve: 0, run: 0 }
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const r = engine.createRelease('bench-release', { name: `bench ${i}`, actor: manager })
    const t1 = performance.now()
    engine.activate(r.id, { actor: manager })
    const t2 = performance.now()
    engine.approve(r.id, 'approve', 'approve', { actor: approver })
    const t3 = performance.now()
    engine.runUntilIdle()
    const t4 = performance.now()
    spent.create += t1 - t0
    spent.activate += t2 - t1
    spent.approve += t3 - t2
    spent.run += t4 - t3
  }
}
const us = (ms) => ((ms * 1000) / n).toFixed(1)
const total = Object.values(spent).reduce((a, b) => a + b, 0)
console.log(`node: ${Object.entries(spent).map(([k, v]) => `${k} ${us(v)} µs`).join(' ')}; in all ${us(total)} µs`)
