// Every ```js example of the README runs, unchanged, as its own program against this package
// (node_modules/trainyard in a temporary folder links to bindings-node).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeJsExamples, runExample, tempDir } from './helpers.mjs'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const examples = readmeJsExamples()

test('the README has Node examples, including the release API', () => {
  assert.ok(examples.length >= 2, `found ${examples.length} js blocks`)
  assert.ok(examples.some((code) => code.includes('createRelease(')), 'an example shows createRelease')
})

const dir = tempDir('trainyard-readme-')
mkdirSync(join(dir, 'node_modules'))
symlinkSync(packageDir, join(dir, 'node_modules', 'trainyard'), 'dir')
test.after(() => rmSync(dir, { recursive: true, force: true }))

for (const [i, code] of examples.entries()) {
  test(`README js example ${i + 1} runs`, () => {
    const { status, stdout, stderr } = runExample(dir, code, i + 1)
    assert.equal(status, 0, `exit ${status}\nstdout:\n${stdout}\nstderr:\n${stderr}`)
    assert.equal(stderr, '', 'nothing on stderr')
    // What the examples print in their comments.
    if (code.includes("console.log(e.code) // 'validation'")) assert.match(stdout, /^validation$/m)
    if (code.includes("actor: 'rita', inputs })")) {
      assert.match(stdout, /^invalid_input$/m)
      assert.match(stdout, /^options\.actor wrong_type$/m)
      assert.match(stdout, /^options\.inputs\.self invalid_value$/m)
    }
    if (code.includes('trainyard.setLogger((r)')) assert.match(stdout, /^info trainyard::\S+ process registered \{"process":"logged","version":1\}$/m)
    if (code.includes("createRelease('weekly'")) {
      assert.match(stdout, /^on_hold$/m)
      assert.match(stdout, /^success https:\/\/deploy\.example$/m)
      assert.match(stdout, /^invalid_transition$/m)
    }
    if (code.includes("portal.watch({ filter: { processes: ['gate'] } })")) {
      assert.match(stdout, /^true null -> draft$/m)
      assert.match(stdout, /^true \S+ -> success$/m)
      assert.match(stdout, /^1 true$/m)
      assert.match(stdout, /^true$/m)
    }
    if (code.includes('claimJobsAsync')) {
      assert.match(stdout, /^notify release_started rita$/m)
      assert.match(stdout, /^success$/m)
      assert.match(stdout, /^permission_denied$/m)
    }
  })
}
