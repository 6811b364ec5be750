// Every example process in examples/processes loads from text and, once normalized, from an object.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, trainyard } from './helpers.mjs'

const dir = join(repoRoot, 'examples', 'processes')
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()

test('there is at least one example process', () => {
  assert.ok(files.length >= 1, `no *.yaml in ${dir}`)
})

for (const name of files) {
  test(`examples/processes/${name} loads`, () => {
    const text = readFileSync(join(dir, name), 'utf8')
    const process = trainyard.loadProcess(text)
    assert.equal(typeof process.id, 'string')
    assert.ok(Array.isArray(process.phases) && process.phases.length > 0, 'has phases')
    const warnings = trainyard.validateProcess(text)
    assert.ok(Array.isArray(warnings))
    for (const w of warnings) assert.deepEqual(Object.keys(w).slice(0, 3), ['path', 'code', 'message'])
    // The normalized object is itself a valid definition and normalizes to the same thing.
    assert.deepEqual(trainyard.loadProcess(process), process)
  })
}
