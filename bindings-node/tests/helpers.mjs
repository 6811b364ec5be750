// Shared helpers for the Node suite: the addon, the repository paths and the corpus reader.
import { createRequire } from 'node:module'
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
