// Side-by-side: the same process (start → approval → automated step → end) run N times through
// bpmn-engine and through trainyard (in memory and on SQLite), from Node, in one run.
//
// Prints instances/second and the time per instance (start to end, the approval signalled in
// between), memory per parked instance (waiting at the approval; resident-set growth) and the ratio
// trainyard/peer. Every engine parses its process once, warms up with the same number of instances,
// then runs the same N. With `PEERS_RESULTS` naming the Python harness's results of the same run
// (`make bench-peers` does), it also prints Node's time per instance against Python's.
//
// bpmn-engine is measured in a Node process of its own, trainyard (memory, then SQLite, as the Python
// harness runs them) in another: this file again, with PEERS_ONE naming what to measure. Run in one
// process, trainyard measured after bpmn-engine took twice as long per instance (93.8 against
// 192.6 µs in one run): bpmn-engine's parked instances leave a heap of about a gigabyte behind that
// the garbage collector keeps walking.
//
// Usage: node --expose-gc node_peers.mjs [N] (default 2000). Run by `make bench-peers`.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { Engine as BpmnEngine } from 'bpmn-engine'
import * as elements from 'bpmn-elements'
import BpmnModdle from 'bpmn-moddle'
import serializer, { TypeResolver } from 'moddle-context-serializer'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const gc = globalThis.gc ?? (() => {})

async function measure (name, startOne, finishOne, n, warmup) {
  const warm = []
  for (let i = 0; i < warmup; i++) warm.push(await startOne(i))
  for (const w of warm) await finishOne(w)
  gc()
  const before = process.memoryUsage().rss
  const t0 = performance.now()
  const parked = []
  for (let i = 0; i < n; i++) parked.push(await startOne(warmup + i))
  const t1 = performance.now()
  gc()
  const parkedBytes = Math.max(process.memoryUsage().rss - before, 0)
  const t2 = performance.now()
  for (const p of parked) await finishOne(p)
  const t3 = performance.now()
  const seconds = ((t1 - t0) + (t3 - t2)) / 1000
  return { engine: name, n, instancesPerS: n / seconds, usPerInstance: (seconds / n) * 1e6, bytesPerParked: parkedBytes / n }
}

async function bpmnEngine (n, warmup) {
  const source = fs.readFileSync(path.join(here, 'release-bpmn-engine.bpmn'), 'utf8')
  const moddleContext = await new BpmnModdle().fromXML(source)
  const sourceContext = serializer(moddleContext, TypeResolver(elements)) // parsed once
  const start = async (i) => {
    const engine = new BpmnEngine({ name: `bench ${i}`, sourceContext })
    const api = await engine.execute()
    return { engine, api }
  }
  const finish = async ({ engine, api }) => {
    const [task] = api.getPostponed()
    const ended = engine.waitFor('end')
    task.signal({ approved: true })
    await ended
    if (api.environment.output.url !== 'https://prod.example') throw new Error('bpmn-engine did not run the script')
  }
  return measure('bpmn-engine', start, finish, n, warmup)
}

async function trainyardRun (label, url, n, warmup) {
  const ty = require(path.join(here, '../../bindings-node'))
  const engine = url ? ty.Engine.open(url) : ty.Engine.inMemory()
  engine.registerExecutor('deploy', () => ({ url: 'https://prod.example' }))
  engine.registerProcess(fs.readFileSync(path.join(here, 'release.yaml'), 'utf8')) // validated once
  const manager = { id: 'rita', roles: ['account_release_manager'] }
  const approver = { id: 'ann', groups: ['approvers'] }
  const start = async (i) => {
    const r = engine.createRelease('bench-release', { name: `bench ${i}`, actor: manager })
    engine.activate(r.id, { actor: manager })
    return r.id
  }
  const finish = async (id) => {
    engine.approve(id, 'approve', 'approve', { actor: approver })
    engine.runUntilIdle()
  }
  const result = await measure(label, start, finish, n, warmup)
  const statuses = new Set(engine.listReleases({}).map((r) => r.status))
  if (statuses.size !== 1 || !statuses.has('success')) throw new Error(`unexpected statuses ${[...statuses]}`)
  return result
}

const n = Number(process.argv[2] ?? 2000)
const warmup = Math.max(Math.floor(n / 10), 10)

// One engine, in this process: its result as one JSON line.
async function measureOne (which) {
  if (which === 'bpmn-engine') return bpmnEngine(n, warmup)
  if (which === 'memory') return trainyardRun('trainyard (memory)', null, n, warmup)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-'))
  try {
    return await trainyardRun('trainyard (sqlite)', `sqlite://${tmp}/bench.db`, n, warmup)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

// PEERS_ONE=a,b: measure those here, one JSON line each (a failure is a line with `error`).
if (process.env.PEERS_ONE) {
  for (const which of process.env.PEERS_ONE.split(',')) {
    try {
      console.log(JSON.stringify(await measureOne(which)))
    } catch (e) {
      console.log(JSON.stringify({ engine: which, error: `${e.code ?? ''} ${e.message}` }))
    }
  }
  process.exit(0)
}

const results = []
for (const group of ['bpmn-engine', 'memory,sqlite']) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(n)], {
    env: { ...process.env, PEERS_ONE: group },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  })
  if (child.status !== 0) throw new Error(`measuring ${group} failed: ${child.stderr}`)
  for (const line of child.stdout.trim().split('\n')) {
    const r = JSON.parse(line)
    if (r.error === undefined) results.push(r)
    else if (r.engine === 'sqlite') console.error(`trainyard (sqlite) not measured: ${r.error}`)
    else throw new Error(`${r.engine} failed: ${r.error}`)
  }
}
const peer = results[0]
console.log(`Node, N=${n} (warm-up ${warmup})`)
console.log(`${'engine'.padEnd(22)} ${'instances/s'.padStart(12)} ${'µs/instance'.padStart(12)} ${'bytes/parked'.padStart(13)} ${'speed vs peer'.padStart(14)} ${'memory vs peer'.padStart(15)}`)
for (const r of results) {
  const speed = r.instancesPerS / peer.instancesPerS
  const mem = peer.bytesPerParked ? r.bytesPerParked / peer.bytesPerParked : NaN
  console.log(`${r.engine.padEnd(22)} ${r.instancesPerS.toFixed(0).padStart(12)} ${r.usPerInstance.toFixed(1).padStart(12)} ${r.bytesPerParked.toFixed(0).padStart(13)} ${(speed.toFixed(2) + 'x').padStart(14)} ${(mem.toFixed(2) + 'x').padStart(15)}`)
}
// Node against Python in the same run: the Python harness's figures, when it left them.
const pythonResults = process.env.PEERS_RESULTS && fs.existsSync(process.env.PEERS_RESULTS)
  ? JSON.parse(fs.readFileSync(process.env.PEERS_RESULTS, 'utf8'))
  : []
for (const r of results.slice(1)) {
  const python = pythonResults.find((p) => p.engine === r.engine)
  if (python) console.log(`${r.engine}: Node ${r.usPerInstance.toFixed(1)} µs / Python ${python.us_per_instance.toFixed(1)} µs per instance = ${(r.usPerInstance / python.us_per_instance).toFixed(2)}x`)
}
console.log(JSON.stringify(results))
