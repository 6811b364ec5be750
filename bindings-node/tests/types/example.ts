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
  const line: number | null = w.line
  const column: number | null = w.column
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
import { Actor, Engine, ManualClock, setLogger } from '../../index'
import type {
  LogRecord,
  Activity,
  ActivityStatus,
  ActorLike,
  ClaimedJob,
  Event,
  InputSet,
  InputSetSummary,
  JobRecord,
  Notification,
  NotificationKind,
  ExecutorResult,
  Job,
  Lock,
  Phase,
  PhaseStatus,
  ProcessInfo,
  Release,
  ReleaseStatus,
  DeadLetter,
  FeedEntry,
  FeedPage,
  FeedWatch,
  Freeze,
  ReplayReport,
  SinkRunReport,
  WaitKind,
} from '../../index'

async function engineExample(): Promise<void> {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const engine: Engine = Engine.inMemory({ clock, releaseLevel: 'account' })
  const opened: Engine = await Engine.openAsync('memory://', { clock })
  void Engine.open('memory://')
  void opened

  engine.registerExecutor('deploy', async (job: Job) => ({ url: `https://${String(job.inputs.service)}.example` }))
  engine.registerExecutor('noop', (job) => {
    const deadline: Date | null = job.deadline
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
  const created: Date | null = release.createdAt
  const phase: Phase | undefined = release.phases['build']
  const phaseStatus: PhaseStatus | undefined = phase?.status
  const activity: Activity | undefined = phase?.activities['compile']
  const activityStatus: ActivityStatus | undefined = activity?.status
  void [status, created, phaseStatus, activityStatus]
  const phaseLocks: Lock[] | undefined = phase?.locks
  const ownLocks: Lock[] | undefined = activity?.locks
  const held: Lock[] = engine.locks(['environment:prod1']).filter((l) => l.heldSince !== null)
  const everyLock: Lock[] = await engine.locksAsync()
  const since: Date | null = everyLock[0]?.heldSince ?? null
  const asked: Date | undefined = held[0]?.requestedAt
  const waits: WaitKind | undefined = release.waitingOn?.kind
  const lockWait: WaitKind = 'lock'
  void [phaseLocks, ownLocks, since, asked, waits, lockWait, engine.locks(null)]
  // @ts-expect-error lock names are strings
  engine.locks([42])

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

  // reads on behalf of someone
  const asViewer: Release = engine.getRelease(release.id, { actor: { id: 'vera', roles: ['viewer'] } })
  const asViewerAsync: Release = await engine.getReleaseAsync(release.id, { actor: rita })
  const visible: Release[] = engine.listReleases({ actor: rita, status: 'running' })
  const trail: Event[] = engine.history(release.id, { actor: rita })
  void [asViewer, asViewerAsync, visible, trail]

  // storage backends and the release level
  const sqlite: Engine = Engine.open('sqlite:///tmp/releases.db', { releaseLevel: 'organization', clock })
  const level: 'account' | 'organization' = sqlite.releaseLevel
  void level

  // external workers
  const claimed: ClaimedJob[] = engine.claimJobs(['deploy'], { worker: 'w1', limit: 5, lease: '1m' })
  const claimedAsync: ClaimedJob[] = await engine.claimJobsAsync(['deploy'], { worker: 'w1' })
  const first = claimed[0]!
  const token: string = first.leaseToken
  const deliveries: number = first.deliveries
  const leaseEnd: Date = engine.heartbeat(first.id, token)
  const leaseEndAsync: Date = await engine.heartbeatAsync(first.id, token)
  engine.completeJob(first.id, { leaseToken: token, outputs: { url: 'x' } })
  await engine.completeJobAsync(first.id, { leaseToken: token, error: 'boom', retryable: true })
  const records: JobRecord[] = engine.listJobs()
  const holder: string | null | undefined = records[0]?.worker
  void [claimedAsync, deliveries, leaseEnd, leaseEndAsync, holder]

  // input sets
  const setVersion: number = engine.saveInputSet('p', 'prod', { region: 'eu' }, { actor: rita })
  const set: InputSet = engine.getInputSet('p', 'prod', setVersion)
  const sets: InputSetSummary[] = engine.listInputSets('p')
  engine.createRelease('p', { name: 'From set', actor: rita, inputSet: 'prod', inputSetVersion: 1 })
  void [set.values, sets]

  // retention, notifications, secrets, the command executor
  const archived: string[] = engine.applyRetention().concat(engine.applyRetention(new Date()))
  engine.subscribe((n: Notification) => {
    const kind: NotificationKind = n.kind
    const recipients: string[] = n.recipients
    void [kind, recipients, n.releaseId, n.at]
  })
  const failures: number = engine.notificationFailures()
  engine.setSecretResolver({ 'deploy-token': 'x' })
  engine.setSecretResolver((name: string) => `value of ${name}`)
  engine.registerCommandExecutor()
  engine.registerCommandExecutor('sh', { baseDir: '/srv/builds' })
  void [archived, failures]

  // @ts-expect-error a worker name is required
  engine.claimJobs(['deploy'], {})
  // @ts-expect-error saving an input set needs an actor
  engine.saveInputSet('p', 'prod', {}, {})
  // @ts-expect-error secret values are strings
  engine.setSecretResolver({ token: 42 })

  clock.advance(60_000)
  clock.set(new Date())

  // @ts-expect-error an actor is required
  engine.activate(release.id, {})
  // @ts-expect-error statuses are the known strings
  engine.listReleases({ status: 'done' })
  // @ts-expect-error abort needs a reason
  engine.abort(release.id, { actor: rita })
  // @ts-expect-error start is a Date or RFC 3339 text
  engine.schedule(release.id, { start: 20250407, actor: rita })

  // every store call has an …Async twin; durations are text or milliseconds
  const approved: Event[] = await engine.approveAsync(release.id, 'p', 'ok', { actor: rita, comment: 'fine' })
  const historyAsync: Event[] = await engine.historyAsync(release.id, { actor: rita })
  const created2: Release = await engine.createReleaseAsync('p', { name: 'async', actor: rita })
  const critical: boolean = created2.phases['build']!.critical
  const occurrence: string | null = created2.occurrence
  engine.setRetention({ archiveAfter: '90d' })
  engine.setRetention({ archiveAfter: 90 * 86_400_000 })
  clock.advance('1d 12h')
  engine.setHorizon('30d')
  const now: Date = engine.now()
  const url: string = engine.url
  const entries = engine.calendar(new Date(), '2026-01-01T00:00:00Z', { statuses: ['scheduled'], actor: rita })
  // freezes: `mode: 'allow'` makes an allowed window; every freeze has its effective mode
  const allowed: Freeze = engine.addFreeze({
    name: 'Midweek', actor: rita, mode: 'allow', start: '2025-04-01T10:00:00+02:00', environments: ['prod1'],
    recurrence: { cadence: { every: 'week', on: ['tuesday'], at: '10:00' }, timezone: 'Europe/Berlin', duration: '6h' },
  })
  const mode: 'block' | 'allow' = allowed.mode
  // @ts-expect-error a freeze's mode is 'block' or 'allow'
  engine.addFreeze({ name: 'Sometimes', actor: rita, mode: 'sometimes', start: new Date(), end: new Date() })
  void [approved, historyAsync, critical, occurrence, now, url, entries, mode]
  engine.close()
  const closed: boolean = engine.closed
  void closed
  setLogger((record: LogRecord) => console.log(record.level, record.target, record.message, record.fields, record.time), { level: 'info' })
  setLogger(null)
}
void engineExample

/** The change feed: pages, watching, consumers, sinks. */
async function feedExample(engine: Engine): Promise<void> {
  const page: FeedPage = engine.changes({ after: 0, filter: { statuses: ['success'], eventKinds: ['created'] }, limit: 10 })
  const first: FeedEntry | undefined = page.entries[0]
  const before: ReleaseStatus | null = first?.statusBefore ?? null
  const at: Date | undefined = first?.at
  const next: number = (await engine.changesAsync()).next + engine.feedHead() + (await engine.feedHeadAsync())
  const watch: FeedWatch = engine.watch({ after: next })
  for await (const e of watch) {
    const cursor: number = e.cursor
    void cursor
    break
  }
  const mine: FeedPage = await engine.consumeAsync('mailer', { limit: 5 })
  engine.ack('mailer', mine.next)
  await engine.ackAsync('mailer', mine.next)
  const stored: number = engine.consumerCursor('mailer')
  engine.subscribeDurable('pager', (n: Notification) => n.recipients, { filter: { scopes: ['account'] } })
  engine.addWebhookSink({ name: 'hooks', url: 'http://127.0.0.1:9/x', secret: 's', timeout: '5s', retry: { base: 1000, maxAttempts: 3 } })
  engine.addNatsSink({ name: 'bus', url: 'nats://127.0.0.1:4222', createStream: 'TRAINYARD' })
  const reports: SinkRunReport[] = await engine.runSinksAsync()
  const letters: DeadLetter[] = engine.deadLetters('hooks')
  const replay: ReplayReport = await engine.replayDeadLettersAsync('hooks')
  // @ts-expect-error a cursor is a number
  engine.changes({ after: '3' })
  void [before, at, stored, reports, letters, replay]
}
void feedExample
