// Shared helpers for the Node suite: the addon, the repository paths, the corpus reader and the
// README example runner.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** The built package (`index.js` loads the platform `.node` file). */
export const trainyard = createRequire(import.meta.url)('../index.js')

/** The repository root (bindings-node/tests -> ../..). */
export const repoRoot = join(here, '..', '..')

/**
 * The `[path, code]` pairs a corpus file declares in its `# expect: <path> <code>` lines, in
 * order (`-` stands for the document itself, i.e. the empty path).
 */
export function expectedProblems(text) {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith('# expect:'))
    .map((line) => {
      const [path, code] = line.slice('# expect:'.length).trim().split(/\s+/)
      if (path === undefined || code === undefined) throw new Error(`malformed expect line: ${line}`)
      return [path === '-' ? '' : path, code]
    })
}

/** Calls `fn` and returns what it threw; fails when it returns normally. */
export function thrown(fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw, but it returned normally')
}

/** The ```js blocks of the repository README, in order. */
export function readmeJsExamples() {
  const text = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  return [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1])
}

/**
 * Runs one README example as its own program in `dir` (where `require('trainyard')` must resolve)
 * and returns its exit code and output. Blocks with `import` statements run as ES modules.
 */
export function runExample(dir, code, index) {
  const file = join(dir, `readme-example-${index}.${/^import /m.test(code) ? 'mjs' : 'cjs'}`)
  writeFileSync(file, code)
  const result = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr ?? String(result.error ?? '') }
}

/** A fresh temporary folder. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix))
}
