// The shared scenario vectors (testdata/scenarios/*.yaml, format in testdata/scenarios/README.md), run
// unchanged, with the same checks as the Rust runner (core/tests/scenarios.rs). Every scenario runs twice:
// driven by the synchronous runUntilIdle() (executors called directly on the JS thread) and by
// runUntilIdleAsync() (the core on a worker thread, executors called through the thread-safe
// dispatcher). Scripted executors answer `started` with a Promise that never settles: the activity
// stays running until a `complete_job` step reports it, as Outcome::Started does in Rust.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const dir = join(repoRoot, 'testdata', 'scenarios')
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
const MAX_STEPS = 100_000

const UNITS = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 }

/** Seconds of a duration such as `30m` or `1d 12h` (the core's grammar). */
function seconds(text) {
  const parts = String(text).trim().split(/\s+/).join('').match(/\d+[wdhms]/g)
  if (!parts || parts.join('') !== String(text).replace(/\s+/g, '')) throw new Error(`bad duration ${text}`)
  return parts.reduce((sum, p) => sum + Number(p.slice(0, -1)) * UNITS[p.at(-1)], 0)
}

/** A step's time: RFC 3339 text or an offset from the clock's start (`+2d`). */
// The options every amendment takes.
function amend(w, actor) {
  return { actor, reason: w.reason ?? '', dryRun: w.dry_run ?? false }
}

function time(spec, start) {
  if (typeof spec !== 'string') throw new Error(`a time is a string: ${JSON.stringify(spec)}`)
  return spec.startsWith('+') ? new Date(start.getTime() + seconds(spec.slice(1)) * 1000) : new Date(spec)
}

/** A scripted executor: outputs per activity, failing attempts, or a Promise that never settles. */
function scripted(spec) {
  return (job) => {
    const key = `${job.phaseId}/${job.activityId}`
    for (const f of spec.failures ?? []) {
      const attempts = f.attempt === undefined ? null : [f.attempt].flat()
      if (f.activity === key && (attempts === null || attempts.includes(job.attempt))) {
        const err = new Error(f.message ?? 'scripted failure')
        err.retryable = f.retryable ?? true
        throw err
      }
    }
    if ((spec.started ?? []).includes(key)) return new Promise(() => {})
    return spec.outputs?.[key] ?? {}
  }
}

class Run {
  constructor(spec, mode) {
    this.mode = mode
    this.start = new Date(spec.clock ?? '2025-04-07T09:00:00Z')
    this.clock = new ManualClock(this.start)
    this.engine = Engine.inMemory({ clock: this.clock })
    this.actors = { rita: { id: 'rita', roles: ['account_release_manager'] } }
    for (const [name, a] of Object.entries(spec.actors ?? {})) {
      this.actors[name] = { id: name, groups: a?.groups ?? [], roles: a?.roles ?? [] }
    }
    this.releases = new Map()
    if (spec.retention) {
      const r = spec.retention
      this.engine.setRetention({
        archiveAfter: r.archive_after === undefined ? undefined : seconds(r.archive_after) * 1000,
        automatic: r.automatic,
      })
    }
    this.notes = []
    this.engine.subscribe((n) => {
      this.notes.push(n)
    })
  }

  actor(v) {
    if (v === undefined || v === null) return this.actors.rita
    if (typeof v === 'string') return this.actors[v] ?? { id: v }
    return v
  }

  async drive() {
    // runUntilIdleAsync waits for the executors' Promises, and `started` ones never settle (their
    // outcome comes from a later complete_job step): tick off the JS thread until idle instead.
    if (this.mode === 'async') {
      for (let total = 0; total < MAX_STEPS; ) {
        const n = await this.engine.tickAsync()
        if (n === 0) break
        total += n
      }
    } else this.engine.runUntilIdle(MAX_STEPS)
  }

  create(alias, spec, actor) {
    const r = this.engine.createRelease(spec.process, {
      name: spec.name ?? alias,
      actor,
      kind: spec.kind ?? 'standard',
      scope: spec.scope ?? 'account',
      inputs: {
        ...(spec.inputs ?? {}),
        ...Object.fromEntries(Object.entries(spec.release_ids ?? {}).map(([k, a]) => [k, this.releases.get(a)])),
      },
      inputSet: spec.input_set ?? undefined,
      owners: spec.owners,
      releaseManagers: spec.release_managers,
      stakeholders: spec.stakeholders,
    })
    this.releases.set(alias, r.id)
  }

  command(step, release) {
    const cmd = step.do
    if (cmd === undefined) return
    const actor = this.actor(step.actor)
    const w = step.with ?? {}
    const [phase, activity] = typeof step.activity === 'string' && step.activity.includes('/')
      ? step.activity.split(/\/(.*)/s, 2)
      : ['', '']
    const reason = w.reason ?? w.comment ?? undefined
    const e = this.engine
    switch (cmd) {
      case 'create':
        if (!step.as) throw new Error('create needs `as`')
        return this.create(step.as, w, actor)
      case 'update':
        return e.updateRelease(release, {
          actor,
          name: w.name,
          inputs: w.inputs,
          owners: w.owners,
          releaseManagers: w.release_managers,
          stakeholders: w.stakeholders,
          process: w.process,
          processVersion: w.process_version,
          kind: w.kind,
          scope: w.scope,
          start: w.start === undefined ? undefined : time(w.start, this.start),
          end: w.end === undefined ? undefined : time(w.end, this.start),
          reason,
        })
      case 'schedule':
        return e.schedule(release, {
          actor,
          start: time(w.start, this.start),
          end: w.end === undefined ? undefined : time(w.end, this.start),
          autoStart: w.auto_start ?? true,
        })
      case 'activate':
        return e.activate(release, { actor, force: w.force === true })
      case 'pause':
      case 'resume':
      case 'restart':
      case 'archive':
        return e[cmd](release, { actor })
      case 'delete':
        return e.deleteRelease(release, { actor })
      case 'abort':
        return e.abort(release, { actor, reason: reason ?? '' })
      case 'approve':
      case 'reject':
        return e[cmd](release, phase, activity, { actor, comment: reason })
      case 'complete_manual':
        return e.completeManual(release, phase, activity, { actor, values: w.values ?? {} })
      case 'retry':
        return e.retry(release, phase, activity, { actor, inputs: w.inputs, reason })
      case 'ignore':
        return e.ignore(release, phase, activity, { actor, outputs: w.outputs ?? {}, reason })
      case 'fail':
        return e.fail(release, phase, activity, { actor, reason })
      case 'skip':
        return e.skip(release, phase, activity, { actor, reason: reason ?? '' })
      case 'rewind':
        return e.rewind(release, w.phase, { activityId: w.activity, inputs: w.inputs, ...amend(w, actor) })
      case 'insert_activity':
        return e.insertActivity(release, w.phase, w.definition, { after: w.after, ...amend(w, actor) })
      case 'reassign':
        return e.reassign(release, phase, activity, w.approvers, amend(w, actor))
      case 'delegate':
        return e.delegate(release, phase, activity, { fromUser: w.from, toUser: w.to, ...amend(w, actor) })
      case 'reschedule_phase':
        return e.reschedulePhase(release, w.phase, time(w.not_before, this.start), amend(w, actor))
      case 'complete_job': {
        const job = e.getRelease(release).phases[phase]?.activities[activity]?.jobId
        if (!job) throw new Error(`activity ${step.activity} has no job`)
        const outcome = typeof w.error === 'string'
          ? { error: w.error, retryable: w.retryable ?? true }
          : { outputs: w.outputs ?? {} }
        return e.completeJob(job, outcome)
      }
      case 'create_release_group':
        return e.createReleaseGroup({ ...w, actor })
      case 'update_release_group':
        return e.updateReleaseGroup({ ...w, actor })
      case 'delete_release_group':
        return e.deleteReleaseGroup(w.id ?? '', { actor })
      case 'pause_release_group':
        return e.pauseReleaseGroup(w.id ?? '', { actor, reason: w.reason })
      case 'resume_release_group':
        return e.resumeReleaseGroup(w.id ?? '', { actor, reason: w.reason })
      case 'trigger_release_group':
        return e.triggerReleaseGroup(w.id ?? '', { actor, force: w.force ?? false })
      case 'add_freeze':
        return e.addFreeze({ ...w, actor })
      case 'delete_freeze':
        return e.deleteFreeze(w.id ?? '', { actor })
      default:
        throw new Error(`unknown scenario command \`${cmd}\``)
    }
  }
}

/** The release's own fields (name, kind, scope, process, people, planned window, inputs). */
function checkFields(run, state, expect, ctx) {
  const failures = []
  const fields = {
    name: state.name,
    kind: state.kind,
    scope: state.scope,
    process_id: state.processId,
    process_version: state.processVersion,
    owners: state.owners,
    release_managers: state.releaseManagers,
    stakeholders: state.stakeholders,
    planned_start: state.schedule?.start ?? null,
    planned_end: state.schedule?.end ?? null,
  }
  for (const [field, actual] of Object.entries(fields)) {
    if (!(field in expect)) continue
    let want = expect[field]
    if (field.startsWith('planned_') && want !== null) want = time(want, run.start).getTime()
    const got = actual instanceof Date ? actual.getTime() : actual
    if (!isDeepStrictEqual(got, want)) failures.push(`${ctx}: ${field} is ${JSON.stringify(got)} (expected ${JSON.stringify(want)})`)
  }
  for (const [k, v] of Object.entries(expect.inputs ?? {})) {
    if (!isDeepStrictEqual(state.inputs[k], v)) {
      failures.push(`${ctx}: input ${k} is ${JSON.stringify(state.inputs[k])} (expected ${JSON.stringify(v)})`)
    }
  }
  return failures
}

/** `readable_by` (who may read the release) and `notified` (the notification kinds each recipient
 * got for it since it was last checked, exactly and in order). */
function checkPeople(run, release, expect, notesSince, ctx) {
  const failures = []
  for (const [name, want] of Object.entries(expect.readable_by ?? {})) {
    let readable = true
    try {
      run.engine.getRelease(release, { actor: run.actor(name) })
    } catch (e) {
      if (e.code !== 'permission_denied') throw e
      readable = false
    }
    if (readable !== want) failures.push(`${ctx}: ${name} may read the release: ${readable} (expected ${want})`)
  }
  for (const [name, want] of Object.entries(expect.notified ?? {})) {
    const got = run.notes
      .slice(notesSince)
      .filter((n) => n.releaseId === release && n.recipients.includes(name))
      .map((n) => n.kind)
    if (!isDeepStrictEqual(got, want)) failures.push(`${ctx}: ${name} was notified of ${JSON.stringify(got)} (expected ${JSON.stringify(want)})`)
  }
  return failures
}

function check(run, release, expect, since, ctx, notesSince = 0) {
  const failures = []
  const state = run.engine.getRelease(release)
  failures.push(...checkFields(run, state, expect, ctx))
  failures.push(...checkPeople(run, release, expect, notesSince, ctx))
  if (typeof expect.status === 'string' && state.status !== expect.status) {
    failures.push(`${ctx}: release status ${state.status} (expected ${expect.status})`)
  }
  for (const [flag, actual] of [['rolled_back', state.rolledBack], ['pre_executed', state.preExecuted], ['archived', state.archived], ['at_risk', state.atRisk]]) {
    if (typeof expect[flag] === 'boolean' && expect[flag] !== actual) {
      failures.push(`${ctx}: ${flag} is ${actual} (expected ${expect[flag]})`)
    }
  }
  if ('waiting_on' in expect) {
    const w = state.waitingOn
    const target = w === null ? null : w.activityId !== null ? `${w.phaseId}/${w.activityId}` : w.phaseId
    const got = w === null ? null : [w.kind, target]
    if (JSON.stringify(got) !== JSON.stringify(expect.waiting_on)) {
      failures.push(`${ctx}: waiting_on is ${JSON.stringify(got)} (expected ${JSON.stringify(expect.waiting_on)})`)
    }
  }
  if (Number.isInteger(expect.attempt) && state.attempt !== expect.attempt) {
    failures.push(`${ctx}: release attempt ${state.attempt} (expected ${expect.attempt})`)
  }
  for (const [id, want] of Object.entries(expect.phases ?? {})) {
    const status = typeof want === 'string' ? want : want?.status
    const reason = typeof want === 'string' ? undefined : want?.reason
    const p = state.phases[id]
    if (!p) {
      failures.push(`${ctx}: no phase ${id}`)
      continue
    }
    if (status !== undefined && status !== p.status) failures.push(`${ctx}: phase ${id} is ${p.status} (expected ${JSON.stringify(want)})`)
    if (reason !== undefined && (p.skipReason ?? null) !== reason) {
      failures.push(`${ctx}: phase ${id} skip reason ${p.skipReason ?? null} (expected ${JSON.stringify(want)})`)
    }
  }
  for (const [key, want] of Object.entries(expect.activities ?? {})) {
    const [p, a] = key.split(/\/(.*)/s, 2)
    const act = state.phases[p]?.activities[a]
    if (!act) {
      failures.push(`${ctx}: no activity ${key}`)
      continue
    }
    const status = typeof want === 'string' ? want : want?.status
    const attempt = typeof want === 'string' ? undefined : want?.attempt
    if (typeof want === 'object' && typeof want.reason === 'string' && (act.skipReason ?? null) !== want.reason) {
      failures.push(`${ctx}: activity ${key} skip reason ${act.skipReason ?? null} (expected ${want.reason})`)
    }
    for (const [k, v] of Object.entries((typeof want === 'object' && want.job_inputs) || {})) {
      if (!isDeepStrictEqual(act.jobInputs[k], v)) {
        failures.push(`${ctx}: activity ${key} job input ${k} is ${JSON.stringify(act.jobInputs[k])} (expected ${JSON.stringify(v)})`)
      }
    }
    if (status !== undefined && status !== act.status) failures.push(`${ctx}: activity ${key} is ${act.status} (expected ${status})`)
    if (Number.isInteger(attempt) && attempt !== act.attempt) {
      failures.push(`${ctx}: activity ${key} attempt ${act.attempt} (expected ${attempt})`)
    }
  }
  for (const [key, want] of Object.entries(expect.outputs ?? {})) {
    const [p, a] = key.split(/\/(.*)/s, 2)
    const actual = a === '-' ? state.phases[p]?.outputs : state.phases[p]?.activities[a]?.outputs
    for (const [k, v] of Object.entries(want ?? {})) {
      if (!isDeepStrictEqual(actual?.[k], v)) {
        failures.push(`${ctx}: output ${key}.${k} is ${JSON.stringify(actual?.[k])} (expected ${JSON.stringify(v)})`)
      }
    }
  }
  if (Array.isArray(expect.events)) {
    const recent = run.engine.history(release).slice(since).map((e) => e.kind)
    let at = 0
    for (const k of expect.events.filter((x) => typeof x === 'string')) {
      const found = recent.indexOf(k, at)
      if (found < 0) {
        failures.push(`${ctx}: event \`${k}\` not found in order among ${JSON.stringify(recent)}`)
        break
      }
      at = found + 1
    }
  }
  return failures
}

/** The live releases of a release group, by planned start (as the Rust runner's group_releases). */
function groupReleases(engine, group) {
  const at = (d) => (d ? d.getTime() : -Infinity)
  return engine
    .listReleases({ group, includeArchived: true })
    .sort((a, b) => at(a.schedule?.start) - at(b.schedule?.start) || at(a.createdAt) - at(b.createdAt))
    .map((r) => r.id)
}

/** Expectations about release groups and the calendar (not about one release). */
function checkTime(run, expect, ctx) {
  const failures = []
  for (const [group, want] of Object.entries(expect.releases_in_group ?? {})) {
    const n = groupReleases(run.engine, group).length
    if (n !== want) failures.push(`${ctx}: release group ${group} has ${n} release(s) (expected ${want})`)
  }
  failures.push(...checkInbox(run, expect, ctx))
  failures.push(...checkLedger(run, expect, ctx))
  failures.push(...checkReport(run, expect, ctx))
  const cal = expect.calendar
  if (cal) {
    const entries = run.engine.calendar(time(cal.from, run.start), time(cal.to, run.start), {
      includeArchived: cal.include_archived ?? false,
    })
    if (Number.isInteger(cal.count) && entries.length !== cal.count) {
      failures.push(`${ctx}: calendar has ${entries.length} release(s) ${JSON.stringify(entries.map((e) => e.name))} (expected ${cal.count})`)
    }
  }
  return failures
}

/** `inbox: { actor: [[release, phase/activity, kind, canAct, reason], …] }`, in order. */
function checkInbox(run, expect, ctx) {
  const failures = []
  const alias = new Map([...run.releases].map(([k, v]) => [v, k]))
  for (const [name, want] of Object.entries(expect.inbox ?? {})) {
    const got = run.engine
      .inbox(run.actor(name), { limit: 100 })
      .map((i) => [alias.get(i.releaseId) ?? i.releaseId, `${i.phaseId}/${i.activityId}`, i.kind, i.canAct, i.reason])
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures.push(`${ctx}: inbox of ${name} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
  }
  return failures
}

/** A report figure against the vector's (`null` matches only `null`). */
const sameNumber = (got, want) => (got === null || want === null ? got === want : Math.abs(got - want) < 1e-9)
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

/**
 * `report: { from, to, group?, hotfix_window?, releases?, phases?, approvals?, dora? }` against
 * `engine.report` (testdata/scenarios/README.md).
 */
function checkReport(run, expect, ctx) {
  const spec = expect.report
  if (spec === undefined) return []
  const failures = []
  const options = {}
  if (spec.group !== undefined) options.group = spec.group
  if (spec.hotfix_window !== undefined) options.hotfixWindow = spec.hotfix_window
  const report = run.engine.report(time(spec.from, run.start), time(spec.to, run.start), options)
  const alias = new Map([...run.releases].map(([k, v]) => [v, k]))
  const byAlias = new Map(report.releases.map((r) => [alias.get(r.id) ?? r.id, r]))
  if (spec.releases !== undefined) {
    const got = report.releases.map((r) => [alias.get(r.id) ?? r.id, r.status])
    if (!isDeepStrictEqual(got, spec.releases)) {
      failures.push(`${ctx}: report releases are ${JSON.stringify(got)}, expected ${JSON.stringify(spec.releases)}`)
    }
  }
  for (const [name, phases] of Object.entries(spec.phases ?? {})) {
    for (const [phase, want] of Object.entries(phases)) {
      const found = (byAlias.get(name)?.phases ?? []).filter((p) => p.id === phase).map((p) => [p.plannedSecs, p.actualSecs])
      if (!isDeepStrictEqual(found, [want])) {
        failures.push(`${ctx}: report phase ${name}/${phase} [planned, actual] is ${JSON.stringify(found)}, expected ${JSON.stringify(want)}`)
      }
    }
  }
  for (const [name, approvals] of Object.entries(spec.approvals ?? {})) {
    for (const [at, want] of Object.entries(approvals)) {
      const waits = (byAlias.get(name)?.approvals ?? []).filter((a) => `${a.phaseId}/${a.activityId}` === at).map((a) => a.waitedSecs)
      if (!isDeepStrictEqual(waits, [want])) failures.push(`${ctx}: report approval ${name}/${at} waited ${JSON.stringify(waits)}, expected ${want}`)
    }
  }
  for (const [figure, want] of Object.entries(spec.dora ?? {})) {
    const got = report.dora[camel(figure)]
    if (got === undefined || !sameNumber(got, want)) failures.push(`${ctx}: report dora.${figure} is ${got}, expected ${want}`)
  }
  return failures
}

/**
 * `deployed: [[service, environment, version, release, rollback], …]` and
 * `deployments: { service@environment: [[version, release, rollback], …] }` (newest first).
 */
function checkLedger(run, expect, ctx) {
  const failures = []
  const alias = new Map([...run.releases].map(([k, v]) => [v, k]))
  if (expect.deployed !== undefined) {
    const got = run.engine
      .deployed()
      .map((e) => [e.service, e.environment, e.version, alias.get(e.releaseId) ?? e.releaseId, e.rollback])
    if (JSON.stringify(got) !== JSON.stringify(expect.deployed)) {
      failures.push(`${ctx}: deployed is ${JSON.stringify(got)}, expected ${JSON.stringify(expect.deployed)}`)
    }
  }
  for (const [key, want] of Object.entries(expect.deployments ?? {})) {
    const [service, environment] = key.split('@')
    const got = run.engine
      .deployments(service, environment, { limit: 100 })
      .map((e) => [e.version, alias.get(e.releaseId) ?? e.releaseId, e.rollback])
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures.push(`${ctx}: deployments of ${key} are ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
  }
  return failures
}

async function runScenario(name, mode, spec = parse(readFileSync(join(dir, name), 'utf8'))) {
  const run = new Run(spec, mode)
  for (const p of spec.processes ?? []) {
    run.engine.registerProcess(p.file ? readFileSync(join(repoRoot, p.file), 'utf8') : p)
  }
  for (const [exec, s] of Object.entries(spec.executors ?? {})) run.engine.registerExecutor(exec, scripted(s ?? {}))
  if (typeof spec.horizon === 'string') run.engine.setHorizon(seconds(spec.horizon) * 1000)
  for (const set of spec.input_sets ?? []) {
    run.engine.saveInputSet(set.process ?? '', set.name ?? '', set.values ?? {}, { actor: run.actors.rita })
  }
  for (const [alias, r] of Object.entries(spec.releases ?? {})) run.create(alias, r, run.actors.rita)
  const failures = []
  const seen = new Map()
  const notesSeen = new Map()
  const history = (id) => {
    try {
      return run.engine.history(id).length
    } catch {
      return 0
    }
  }
  for (const [i, step] of (spec.steps ?? []).entries()) {
    const ctx = `${name} step ${i + 1}`
    if (typeof step.advance === 'string') {
      run.clock.advance(seconds(step.advance) * 1000)
      try {
        await run.drive()
      } catch (e) {
        failures.push(`${ctx}: driving the engine failed: ${e.message}`)
      }
    }
    let alias = step.release ?? run.releases.keys().next().value ?? ''
    // `child: phase/activity` points the step (command and expectations) at the current child
    // release of that subprocess activity.
    if (typeof step.child === 'string' && run.releases.has(alias)) {
      const [p, a] = step.child.split(/\/(.*)/s, 2)
      let childId
      try {
        childId = run.engine.getRelease(run.releases.get(alias)).phases[p]?.activities[a]?.childId
      } catch {}
      if (!childId) {
        failures.push(`${ctx}: ${step.child} of ${alias} has no child release`)
        continue
      }
      const childAlias = `${alias}>${step.child}`
      run.releases.set(childAlias, childId)
      alias = childAlias
    }
    const releaseBefore = run.releases.get(alias)
    const before = releaseBefore === undefined ? undefined : history(releaseBefore)
    let error = null
    try {
      run.command(step, releaseBefore ?? '')
    } catch (e) {
      error = e
    }
    if (error === null && step.error) failures.push(`${ctx}: expected a \`${step.error}\` error, the command succeeded`)
    if (error !== null && !step.error) failures.push(`${ctx}: unexpected error: ${error.code ?? '(no code)'} ${error.message}`)
    if (error !== null && step.error) {
      if (error.code !== step.error) failures.push(`${ctx}: error \`${error.code}\` (${error.message}), expected \`${step.error}\``)
      if (releaseBefore !== undefined) {
        const after = history(releaseBefore)
        if (after !== before) failures.push(`${ctx}: a refused command wrote ${after - before} event(s)`)
      }
    }
    try {
      await run.drive()
    } catch (e) {
      failures.push(`${ctx}: driving the engine failed: ${e.message}`)
    }
    // `bind: { alias: "group#n" }`: the n-th release (by planned start) of a release group.
    for (const [bound, target] of Object.entries(step.bind ?? {})) {
      const at = String(target).lastIndexOf('#')
      const [group, n] = [String(target).slice(0, at), Number(String(target).slice(at + 1))]
      const found = groupReleases(run.engine, group)[Math.max(n - 1, 0)]
      if (found === undefined) failures.push(`${ctx}: release group ${group} has no release #${n}`)
      else run.releases.set(bound, found)
    }
    if (step.expect) failures.push(...checkTime(run, step.expect, ctx))
    const id = run.releases.get(alias)
    if (id === undefined) continue
    if (step.expect) {
      // Notifications of work done on worker threads reach the subscriber through the event loop.
      await new Promise((resolve) => setImmediate(resolve))
      failures.push(...check(run, id, step.expect, seen.get(id) ?? 0, ctx, notesSeen.get(id) ?? 0))
      seen.set(id, history(id))
      notesSeen.set(id, run.notes.length)
    }
  }
  return failures
}

test('at least 20 scenarios are present (as the Rust suite requires)', () => {
  assert.ok(files.length >= 20, `found ${files.length} scenarios in ${dir}`)
})

test('the runner reports wrong expectations (it is not vacuous)', async () => {
  const spec = {
    processes: [{ id: 'one', phases: [{ id: 'p', activities: [{ id: 'a', kind: 'automated', executor: 'x', outputs: ['n'] }] }] }],
    executors: { x: { outputs: { 'p/a': { n: 1 } } } },
    releases: { main: { process: 'one', name: 'One' } },
    steps: [
      { do: 'activate', expect: { status: 'failed', activities: { 'p/a': 'on_hold' }, outputs: { 'p/a': { n: 2 } }, events: ['halted'] } },
      { do: 'activate', expect: { status: 'success' } },
    ],
  }
  const failures = await runScenario('self-test', 'sync', spec)
  assert.deepEqual(failures.map((f) => f.replace(/:.*/s, '')), Array(4).fill('self-test step 1').concat(['self-test step 2']))
  assert.match(failures[0], /release status success \(expected failed\)/)
  assert.match(failures.at(-1), /unexpected error: invalid_transition/)
})

for (const mode of ['sync', 'async']) {
  for (const name of files) {
    test(`scenario ${name} (${mode} driving)`, async () => {
      const failures = await runScenario(name, mode)
      assert.deepEqual(failures, [], `${failures.length} check(s) failed:\n${failures.join('\n')}`)
    })
  }
}
