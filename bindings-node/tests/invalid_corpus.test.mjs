// The shared invalid-definition corpus (testdata/invalid), run unchanged by the Rust, Python and Node
// suites: every file must fail with code 'validation' and exactly the problems its header declares.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expectedProblems, repoRoot, thrown, trainyard } from './helpers.mjs'

const dir = join(repoRoot, 'testdata', 'invalid')

/** Every case: `*.yaml` with its own header, `*.json` with a sibling `*.expect` file. */
function corpus() {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = join(dir, name)
      const text = readFileSync(file, 'utf8')
      const expectFile = file.replace(/\.json$/, '.expect')
      if (name.endsWith('.json') && !existsSync(expectFile)) {
        throw new Error(`${name}: a .json case needs a sibling .expect file`)
      }
      const header = name.endsWith('.json') ? readFileSync(expectFile, 'utf8') : text
      return { name, text, want: expectedProblems(header) }
    })
}

const cases = corpus()

test('the corpus holds at least 25 cases (as the Rust suite requires)', () => {
  assert.ok(cases.length >= 25, `found ${cases.length} cases in ${dir}`)
})

for (const { name, text, want } of cases) {
  test(`invalid/${name} fails with exactly its expected problems`, () => {
    assert.ok(want.length > 0, `${name} declares no '# expect:' lines`)
    const err = thrown(() => trainyard.loadProcess(text))
    assert.ok(err instanceof Error, 'a real Error is thrown')
    assert.equal(err.code, 'validation', err.message)
    assert.ok(Array.isArray(err.problems), 'problems is an array')
    const got = err.problems.map((p) => [p.path, p.code])
    assert.deepEqual(got, want, err.message)
    for (const p of err.problems) {
      assert.equal(typeof p.message, 'string')
      assert.ok(p.message.length > 0, `${name}: empty message for ${p.path} ${p.code}`)
    }
    if (want.some(([, code]) => code === 'syntax')) {
      const [first] = err.problems
      assert.ok(Number.isInteger(first.line) && first.line >= 1, `syntax problem has a line: ${JSON.stringify(first)}`)
      assert.ok(Number.isInteger(first.column) && first.column >= 1, `syntax problem has a column: ${JSON.stringify(first)}`)
    }
    // validateProcess refuses the same text with the same problems.
    const again = thrown(() => trainyard.validateProcess(text))
    assert.equal(again.code, 'validation')
    assert.deepEqual(again.problems.map((p) => [p.path, p.code]), want)
  })
}
