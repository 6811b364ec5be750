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

// ---- the engine ----
import { Actor, Engine, ManualClock } from '../../index'
import type {
  Activity,
  ActivityStatus,
  ActorLike,
  Event,
  ExecutorResult,
  Job,
  Phase,
  PhaseStatus,
  ProcessInfo,
  Release,
  ReleaseStatus,
} from '../../index'

async function engineExample(): Promise<void> {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine: Engine = Engine.inMemory({ clock, releaseLevel: 'account' })
  const opened: Engine = await Engine.openAsync('memory://', { clock })
  void Engine.open('memory://')
  void opened

  engine.registerExecutor('deploy', async (job: Job) => ({ url: `https://${String(job.inputs.service)}.example` }))
  engine.registerExecutor('noop', (job) => {
    const deadline: Date | undefined = job.deadline
    void deadline
  })
  const sync = (job: Job): ExecutorResult => ({ attempt: job.attempt, release: job.releaseId, phase: job.phaseId })
  engine.registerExecutor('sync', sync)

  const info: ProcessInfo = engine.registerProcess({ id: 'p', phases: [] })
  const warnings: Problem[] = info.warnings
  const version: number = info.version
  const processes: { id: string; version: number }[] = engine.listProcesses()
  const process2: Record<string, any> = engine.getProcess('p', 1)
  void [warnings, version, processes, process2]

  const rita: ActorLike = { id: 'rita', roles: ['account_release_manager'] }
  const quinn: ActorLike = new Actor('quinn', { groups: ['qa'] })
  void quinn
  const release: Release = engine.createRelease('p', {
    name: 'Week 15',
    actor: rita,
    inputs: { releaseVersion: '2.1.3' },
    kind: 'system',
    scope: 'account',
    owners: ['rita'],
  })
  const status: ReleaseStatus = release.status
  const created: Date | undefined = release.createdAt
  const phase: Phase | undefined = release.phases['build']
  const phaseStatus: PhaseStatus | undefined = phase?.status
  const activity: Activity | undefined = phase?.activities['compile']
  const activityStatus: ActivityStatus | undefined = activity?.status
  void [status, created, phaseStatus, activityStatus]

  engine.updateRelease(release.id, { actor: rita, name: 'Week 15b', inputs: { releaseVersion: null } })
  engine.schedule(release.id, { start: clock.now(), actor: rita, end: new Date(), autoStart: false })
  const events: Event[] = engine.activate(release.id, { actor: rita })
  engine.pause(release.id, { actor: rita })
  engine.resume(release.id, { actor: rita })
  engine.approve(release.id, 'qa', 'signoff', { actor: { id: 'quinn', groups: ['qa'] }, comment: 'ok' })
  engine.reject(release.id, 'qa', 'signoff', { actor: rita })
  engine.completeManual(release.id, 'qa', 'notes', { actor: rita, values: { ticket: 'REL-1' } })
  engine.retry(release.id, 'deploy', 'rollout', { actor: rita, inputs: { region: 'eu' }, reason: 'fixed' })
  engine.ignore(release.id, 'deploy', 'rollout', { actor: rita, outputs: { url: 'x' } })
  engine.fail(release.id, 'deploy', 'rollout', { actor: rita })
  engine.skip(release.id, 'deploy', 'rollout', { actor: rita, reason: 'not needed' })
  engine.abort(release.id, { actor: rita, reason: 'wrong branch' })
  engine.restart(release.id, { actor: rita })
  engine.archive(release.id, { actor: rita })
  engine.deleteRelease(release.id, { actor: rita })
  engine.completeJob('id', { outputs: { url: 'x' } })
  engine.completeJob('id', { error: 'boom', retryable: false })
  const jobs: Job[] = engine.queuedJobs()

  const n: number = engine.tick() + engine.runUntilIdle(10) + (await engine.tickAsync()) + (await engine.runUntilIdleAsync())
  const again: Release = await engine.getReleaseAsync(release.id)
  const list: Release[] = engine.listReleases({ status: 'running', kind: 'hotfix', group: 'g', scope: 'org:x', includeArchived: true })
  const listed: Release[] = await engine.listReleasesAsync({ status: 'success' })
  const history: Event[] = engine.history(release.id)
  const at: Date = history[0]!.at
  const kind: string = history[0]!.kind
  void [events, jobs, n, again, list, listed, at, kind]

  clock.advance(60_000)
  clock.set(new Date())

  // @ts-expect-error an actor is required
  engine.activate(release.id, {})
  // @ts-expect-error statuses are the known strings
  engine.listReleases({ status: 'done' })
  // @ts-expect-error abort needs a reason
  engine.abort(release.id, { actor: rita })
  // @ts-expect-error start is a Date
  engine.schedule(release.id, { start: '2025-04-07', actor: rita })
}
void engineExample
