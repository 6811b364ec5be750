// Type check of index.d.ts (`tsc -p tests/types/tsconfig.json`): a small typed program using the
// package the way a TypeScript user would. It is compiled, never run.
import { errorCodes, loadProcess, validateProcess } from '../../index'
import type { ErrorCode, Problem, TrainyardError } from '../../index'

const definition = `id: hello
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
`

const warnings: Problem[] = validateProcess(definition)
for (const w of warnings) {
  const where: string = w.path
  const code: string = w.code
  const line: number | undefined = w.line
  const column: number | undefined = w.column
  console.log(where, code, w.message, line, column)
}

const process: Record<string, any> = loadProcess({ id: 'hello', phases: [] })
const id: string = process.id

const codes: ErrorCode[] = errorCodes()

function isTrainyardError(err: unknown): err is TrainyardError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}

try {
  loadProcess('id: [')
} catch (err) {
  if (isTrainyardError(err)) {
    const code: ErrorCode = err.code
    const problems: Problem[] = err.problems ?? []
    const positions = problems.map((p) => [p.line ?? 0, p.column ?? 0] as const)
    console.log(code, err.message, positions, id, codes)
  }
}

// @ts-expect-error a number is not a definition
validateProcess(42)

// @ts-expect-error problems are read-only data, not a code union
const wrong: ErrorCode = warnings[0]!.code
void wrong
