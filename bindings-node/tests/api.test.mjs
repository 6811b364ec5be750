// The Node API surface: text and object input, warnings, error objects and their codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { loadProcess, validateProcess, errorCodes } = trainyard

const HELLO = `id: hello
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
  - id: ship
    depends_on: [build]
    activities:
      - { id: approve, kind: approval, approvers: [{ group: release-eng }] }
`

const HELLO_OBJECT = {
  id: 'hello',
  phases: [
    { id: 'build', activities: [{ id: 'compile', kind: 'automated', executor: 'command', with: { argv: ['make'] } }] },
    { id: 'ship', depends_on: ['build'], activities: [{ id: 'approve', kind: 'approval', approvers: [{ group: 'release-eng' }] }] },
  ],
}

test('loadProcess returns the normalized process as a plain object', () => {
  const process = loadProcess(HELLO)
  assert.equal(process.id, 'hello')
  assert.deepEqual(process.phases.map((p) => p.id), ['build', 'ship'])
  assert.deepEqual(process.phases[1].depends_on, ['build'])
  assert.equal(Object.getPrototypeOf(process), Object.prototype)
})

test('object input gives the same process as text input', () => {
  assert.deepEqual(loadProcess(HELLO_OBJECT), loadProcess(HELLO))
  assert.deepEqual(validateProcess(HELLO_OBJECT), [])
})

test('JSON text is accepted', () => {
  assert.deepEqual(loadProcess(JSON.stringify(HELLO_OBJECT)), loadProcess(HELLO))
})

test('validateProcess returns warnings without throwing', () => {
  assert.deepEqual(validateProcess(HELLO), [])
  const parent = 'id: parent\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: child }\n'
  const warnings = validateProcess(parent)
  assert.deepEqual(warnings.map((w) => w.code), ['unresolved_process'])
  assert.equal(typeof warnings[0].path, 'string')
  assert.ok(warnings[0].message.includes('child'), warnings[0].message)
  assert.equal(warnings[0].line, null, 'no position for a semantic problem (absent values are null)')
  assert.equal(warnings[0].column, null)
})

test('an invalid object throws a validation Error listing every problem', () => {
  const err = thrown(() => loadProcess({ id: 'x', phases: [{ id: 'a', depends_on: ['b'], activities: [] }] }))
  assert.ok(err instanceof Error)
  assert.equal(err.code, 'validation')
  assert.match(err.message, /invalid definition: 2 problem\(s\)/)
  assert.deepEqual(err.problems.map((p) => [p.path, p.code]), [
    ['phases[0].depends_on[0]', 'unknown_dependency'],
    ['phases[0].activities', 'empty'],
  ])
  assert.ok(Object.keys(err).includes('code'), 'code is an own, enumerable property')
  assert.ok(typeof err.stack === 'string' && err.stack.length > 0, 'has a stack')
})

test('malformed YAML gives a syntax problem with line and column', () => {
  const err = thrown(() => loadProcess('id: broken\nphases:\n  - id: a\n    activities: [\n'))
  assert.equal(err.code, 'validation')
  assert.equal(err.problems.length, 1)
  const [p] = err.problems
  assert.equal(p.code, 'syntax')
  assert.equal(p.path, '')
  assert.ok(Number.isInteger(p.line) && p.line >= 1, JSON.stringify(p))
  assert.ok(Number.isInteger(p.column) && p.column >= 1, JSON.stringify(p))
  assert.ok(p.message.length > 0)
})

test('a value that is neither text nor an object is a validation error, not a crash', () => {
  for (const value of [42, true, null, ['a']]) {
    const err = thrown(() => loadProcess(value))
    assert.equal(err.code, 'validation', `${JSON.stringify(value)}: ${err.message}`)
    assert.ok(err.problems.length >= 1)
  }
})

test('values JSON cannot hold are a wrong_type validation error naming where they are', () => {
  const values = [
    [undefined, ''],
    [() => 1, ''],
    [Symbol('s'), ''],
    [10n, ''],
    [{ id: 'x', phases: [() => 1] }, 'phases[0]'],
    [{ id: 'x', phases: [{ id: 'a', activities: new Map() }] }, 'phases[0].activities'],
  ]
  for (const [value, path] of values) {
    const err = thrown(() => validateProcess(value))
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'validation', err.message)
    assert.deepEqual(err.problems.map((p) => [p.path, p.code]), [[path, 'wrong_type']])
    assert.match(err.problems[0].message, /YAML or JSON text or as a plain object/)
  }
})

test('errorCodes lists the stable codes shared with Rust and Python', () => {
  assert.deepEqual(errorCodes(), [
    'validation',
    'invalid_input',
    'invalid_transition',
    'not_found',
    'permission_denied',
    'conflict',
    'already_exists',
    'expression_error',
    'storage',
    'executor',
    'schedule',
    'unsupported_version',
  ])
})
