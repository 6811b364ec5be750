// Hostile values from JS: cyclic and very deep values, NaN and ±Infinity, integers JS cannot hold,
// lone surrogates, wrong and missing arguments, throwing getters and proxies, exponential shared
// structures. Every case runs in a CHILD process (with a time limit and a memory cap), so a crash
// shows as a failed test with its signal instead of killing the test runner; each must end in a
// coded Error (or a failed attempt, for executor results) and leave the engine usable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const addon = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'index.js')

const PRELUDE = `
const trainyard = require(${JSON.stringify(addon)})
const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const report = (value) => process.stdout.write(JSON.stringify(value) + '\\n')
const outcome = (fn) => {
  try {
    fn()
    return { returned: true }
  } catch (e) {
    return { code: e.code ?? null, name: e.name, message: e.message, problems: e.problems ?? null }
  }
}
const rejected = async (promise) => {
  try {
    await promise
    return { returned: true }
  } catch (e) {
    return { code: e.code ?? null, name: e.name, message: e.message, problems: e.problems ?? null }
  }
}
const deep = (levels, leaf = 1) => {
  let v = leaf
  for (let i = 0; i < levels; i++) v = { d: v }
  return v
}
const cyclic = () => {
  const d = { a: 1 }
  d.self = d
  return d
}
const engine = () => {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess({ id: 'p', inputs: { x: { type: 'object' }, n: { type: 'number' }, s: { type: 'string' } },
    phases: [{ id: 'a', activities: [{ id: 'go', kind: 'automated', executor: 'x' }] }] })
  return e
}
`

/** Runs `body` (after PRELUDE) in a child process; returns the last JSON line it printed. */
function child(body) {
  const result = spawnSync(process.execPath, ['--max-old-space-size=512', '-e', `${PRELUDE}\n;(async () => {\n${body}\n})()`], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.equal(result.signal, null, `the child died with ${result.signal}; stderr: ${result.stderr.slice(-2000)}`)
  assert.equal(result.status, 0, `the child exited with ${result.status}; stderr: ${result.stderr.slice(-2000)}`)
  const lines = result.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}

/** Asserts a coded error with exactly these `[path, code]` problems and messages matching `why`. */
function refused(got, code, problems, why) {
  assert.equal(got.returned, undefined, `the call returned instead of throwing: ${JSON.stringify(got)}`)
  assert.equal(got.name, 'Error', JSON.stringify(got))
  assert.equal(got.code, code, JSON.stringify(got))
  assert.deepEqual(got.problems.map((p) => [p.path, p.code]), problems, JSON.stringify(got.problems))
  if (why) for (const p of got.problems) assert.match(p.message, why)
}

test('a cyclic definition is a validation error, not a crash', () => {
  const got = child(`
    const d = { id: 'x', phases: [] }
    d.self = d
    report(outcome(() => trainyard.validateProcess(d)))`)
  refused(got, 'validation', [['self', 'invalid_value']], /cyclic/)
})

test('a definition nested 100000 levels is a validation error for validateProcess, loadProcess and registerProcess', () => {
  const got = child(`
    const d = { id: 'x', phases: [{ id: 'a', activities: [{ id: 'b', kind: 'automated', executor: 'x', with: deep(100000) }] }] }
    report([outcome(() => trainyard.validateProcess(d)), outcome(() => trainyard.loadProcess(d)), outcome(() => engine().registerProcess(d))])`)
  // definition (0) → phases (1) → [0] (2) → activities (3) → [0] (4) → with (5): the container at
  // level 128 is the 123rd `d` below `with`.
  for (const one of got) refused(one, 'validation', [[`phases[0].activities[0].with${'.d'.repeat(123)}`, 'too_deep']], /deeper than 128 levels/)
})

test('values nest up to the core bound of 100 levels; the binding refuses beyond 128 (the same as Python)', () => {
  const got = child(`
    report([trainyard.limits(), outcome(() => engine().createRelease('p', { name: 'ok', actor: rita, inputs: { x: deep(100) } })),
      outcome(() => engine().createRelease('p', { name: 'core', actor: rita, inputs: { x: deep(101) } })),
      outcome(() => engine().createRelease('p', { name: 'deep', actor: rita, inputs: { x: deep(128) } }))])`)
  assert.deepEqual(got[0], { maxDepth: 128, maxValues: 1000000 })
  assert.deepEqual(got[1], { returned: true })
  // The core stores values nested up to 100 levels (trainyard::limits) and names the input.
  refused(got[2], 'invalid_input', [['inputs.x', 'too_deep']], /more than 100 levels/)
  // inputs (level 0) → x (1) → … : 128 nested objects under inputs reach level 128: the binding refuses.
  refused(got[3], 'invalid_input', [[`options.inputs.x${'.d'.repeat(127)}`, 'too_deep']], /deeper than 128/)
})

test('createRelease with cyclic or very deep inputs: invalid_input, nothing created, the async twin rejects alike', () => {
  const got = child(`
    const e = engine()
    report([
      outcome(() => e.createRelease('p', { name: 'c', actor: rita, inputs: { x: cyclic() } })),
      outcome(() => e.createRelease('p', { name: 'd', actor: rita, inputs: { x: deep(100000) } })),
      await rejected(e.createReleaseAsync('p', { name: 'c', actor: rita, inputs: { x: cyclic() } })),
      e.listReleases().length,
    ])`)
  refused(got[0], 'invalid_input', [['options.inputs.x.self', 'invalid_value']], /cyclic/)
  refused(got[1], 'invalid_input', [[`options.inputs.x${'.d'.repeat(127)}`, 'too_deep']], /deeper than 128/)
  refused(got[2], 'invalid_input', [['options.inputs.x.self', 'invalid_value']], /cyclic/)
  assert.equal(got[3], 0, 'nothing was created')
})

test('NaN, ±Infinity, integers beyond 2^53 and lone surrogates are invalid_input naming the value', () => {
  const got = child(`
    const e = engine()
    report([
      outcome(() => e.createRelease('p', { name: 'n', actor: rita, inputs: { n: NaN, x: { a: [1, Infinity], b: -Infinity }, s: 2 ** 60 } })),
      outcome(() => e.createRelease('p', { name: 'bad \\ud800 name', actor: rita, inputs: { s: 'x\\udfffy', ['k\\ud801']: 1 } })),
      e.listReleases().length,
    ])`)
  refused(got[0], 'invalid_input', [
    ['options.inputs.n', 'invalid_value'],
    ['options.inputs.x.a[1]', 'invalid_value'],
    ['options.inputs.x.b', 'invalid_value'],
    ['options.inputs.s', 'invalid_value'],
  ])
  assert.match(got[0].problems[0].message, /NaN is not a finite number/)
  assert.match(got[0].problems[3].message, /2\^53/)
  refused(got[1], 'invalid_input', [
    ['options.name', 'invalid_value'],
    ['options.inputs.s', 'invalid_value'],
    ['options.inputs.k\ufffd', 'invalid_value'],
  ], /lone surrogate/)
  assert.equal(got[2], 0)
})

test('missing and wrong arguments, a missing options object, actor: "rita": invalid_input saying what is valid', () => {
  const got = child(`
    const e = engine()
    const r = e.createRelease('p', { name: 'r', actor: rita })
    report([
      outcome(() => e.createRelease()),
      outcome(() => e.createRelease('p')),
      outcome(() => e.createRelease('p', { name: 'x', actor: 'rita' })),
      outcome(() => e.getRelease(42)),
      outcome(() => e.approve(r.id, 'a', 'go')),
      outcome(() => e.listReleases({ status: 'done', includeArchived: 'yes' })),
      outcome(() => e.runUntilIdle(-1)),
      outcome(() => e.completeManual(r.id, 'a', 'go', { actor: rita, values: { big: 10n, f: () => 1, sym: Symbol('s') } })),
      outcome(() => e.schedule(r.id, { actor: rita, start: new Date(NaN) })),
    ])`)
  refused(got[0], 'invalid_input', [['processId', 'missing_field'], ['options', 'missing_field']])
  assert.match(got[0].problems[1].message, /an options object \{ name, actor, inputs\?/)
  refused(got[1], 'invalid_input', [['options', 'missing_field']])
  refused(got[2], 'invalid_input', [['options.actor', 'wrong_type']], /\{ id, groups\?, roles\? \}.*got the string "rita"/)
  refused(got[3], 'invalid_input', [['releaseId', 'wrong_type']], /expected a string, got the number 42/)
  refused(got[4], 'invalid_input', [['options', 'missing_field']])
  refused(got[5], 'invalid_input', [['filter.includeArchived', 'wrong_type'], ['filter.status', 'invalid_value']])
  refused(got[6], 'invalid_input', [['maxSteps', 'invalid_value']])
  refused(got[7], 'invalid_input', [
    ['options.values.big', 'wrong_type'],
    ['options.values.f', 'wrong_type'],
    ['options.values.sym', 'wrong_type'],
  ], /not a JSON value/)
  refused(got[8], 'invalid_input', [['options.start', 'invalid_value']], /invalid Date/)
})

test('a throwing getter, a hostile proxy and class instances are refused without the exception escaping', () => {
  const got = child(`
    const e = engine()
    const getter = { get x() { throw new Error('boom from getter') } }
    const proxy = new Proxy({}, { ownKeys() { throw new Error('boom from ownKeys') } })
    report([
      outcome(() => e.createRelease('p', { name: 'g', actor: rita, inputs: getter })),
      outcome(() => e.createRelease('p', { name: 'p', actor: rita, inputs: { x: proxy } })),
      outcome(() => e.createRelease('p', { name: 'm', actor: rita, inputs: { x: new Map([[1, 2]]) } })),
      e.listReleases().length,
    ])`)
  refused(got[0], 'invalid_input', [['options.inputs.x', 'invalid_value']], /boom from getter/)
  refused(got[1], 'invalid_input', [['options.inputs.x', 'invalid_value']], /boom from ownKeys/)
  refused(got[2], 'invalid_input', [['options.inputs.x', 'wrong_type']], /a Map object/)
  assert.equal(got[3], 0)
})

test('an exponential shared structure and a huge sparse array stop at the value budget', () => {
  const got = child(`
    const e = engine()
    let shared = { leaf: 1 }
    for (let i = 0; i < 60; i++) shared = { a: shared, b: shared }
    const sparse = []
    sparse.length = 2 ** 32 - 1
    const t0 = Date.now()
    report([outcome(() => e.createRelease('p', { name: 's', actor: rita, inputs: { x: shared } })),
      outcome(() => e.createRelease('p', { name: 'a', actor: rita, inputs: { x: sparse } })), Date.now() - t0])`)
  refused(got[0], 'invalid_input', [[got[0].problems[0].path, 'invalid_value']], /more than 1000000 values/)
  refused(got[1], 'invalid_input', [[got[1].problems[0].path, 'invalid_value']], /more than 1000000 values/)
})

test('an executor result or resolved Promise that contains itself, or nests 100000 levels, fails the attempt', () => {
  const got = child(`
    const results = { sync: () => cyclic(), deep: () => ({ v: deep(100000) }), promise: () => Promise.resolve(cyclic()),
      self: () => { const p = Promise.resolve().then(() => ({ p })); return p } }
    const out = {}
    for (const [name, fn] of Object.entries(results)) {
      const e = engine()
      e.registerExecutor('x', fn)
      const r = e.createRelease('p', { name, actor: rita })
      e.activate(r.id, { actor: rita })
      e.runUntilIdle()
      await new Promise((done) => setTimeout(done, 50))
      const act = e.getRelease(r.id).phases.a.activities.go
      out[name] = [act.status, act.error]
    }
    report(out)`)
  assert.deepEqual(Object.keys(got), ['sync', 'deep', 'promise', 'self'])
  assert.match(got.sync[1], /executor `x` returned outputs that are not JSON values: outputs\.self: the value is cyclic/)
  assert.match(got.deep[1], /outputs\.v(\.d)+: the value nests deeper than 128 levels/)
  assert.match(got.promise[1], /outputs\.self: the value is cyclic/)
  assert.match(got.self[1], /outputs\.p: a Promise object is not a JSON value/)
  for (const [status] of Object.values(got)) assert.equal(status, 'on_hold', 'not retryable, held for a person')
})
