// `make demo-node`: the two-week system release train of `make demo` (examples/demo.rs), from Node.
//
// A weekly release group creates the train every Monday 09:00. Week one: branch cut and QA deploy
// (the built-in `command` executor running examples/scripts/), alpha fixes until Thursday noon, QA
// sign-off by two approvers. Week two: beta to prod 0 (the deploy fails once and is retried) with a
// two-day soak, beta fixes, then prod 1, a hotfix release gated on prod 1 (out before prod 2), prod 2 and prod 3. The
// group meanwhile generates the second week's train. Prints a status tree per day, the month's
// calendar with its conflicts, the audit trail of the first train, and writes
// target/demo-node/calendar.ics. A ManualClock makes two weeks pass in seconds.
//
// Storage: in memory (`Engine.inMemory`); the Rust demo uses a SQLite file.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const examples = join(here, '..')
let trainyard
try {
  trainyard = require('trainyard')
} catch {
  trainyard = require(join(examples, '..', 'bindings-node', 'index.js'))
}
const { Engine, ManualClock } = trainyard

const out = join(examples, '..', 'target', 'demo-node')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
// deploy.sh fails once for prod0: the beta deploy's first attempt fails and is retried.
process.env.FAIL_ONCE_ENV = 'prod0'
process.env.FAIL_ONCE_FILE = join(out, 'prod0-failed-once')

const at = (day, hour, min) => new Date(Date.UTC(2025, 3, day, hour, min))
const clock = new ManualClock(at(7, 8, 0))
const engine = Engine.inMemory({ clock })
engine.registerCommandExecutor('command', { baseDir: examples })
for (const file of ['system-release-train.yaml', 'hotfix.yaml']) {
  engine.registerProcess(readFileSync(join(examples, 'processes', file), 'utf8'))
}

const rita = { id: 'rita', roles: ['account_release_manager'] }
const quinn = { id: 'quinn', groups: ['qa'] }
const stakeholder = { id: 'stakeholder-1' }
const dana = { id: 'dana', groups: ['development'] }
const oscar = { id: 'oscar', groups: ['operations'] }

console.log('trainyard demo (Node) — the two-week system release train, in memory\n')
engine.createReleaseGroup({
  id: 'system-train',
  name: 'System Release Train',
  process: 'system-release-train',
  cadence: { every: 'week', on: 'monday', at: '09:00' },
  timezone: 'UTC',
  duration: '2w',
  startsOn: '2025-04-07',
  nameTemplate: 'Week {iso_week} System Release - {month} {year}',
  kind: 'system',
  inputs: { releaseVersion: '2.1.3', services: ['payment-service', 'user-service'], environment: 'prod3' },
  actor: rita,
})
const trains = engine.listReleases({ group: 'system-train' })
console.log(`release group \`system-train\` materialised ${trains.length} scheduled release(s) for the next 90 days:`)
for (const t of trains.slice(0, 3)) console.log(`  • ${t.name} — starts ${fmt(t.schedule?.start)}`)
console.log('  • …\n')
const train = trains[0].id

// Week one.
goto(at(7, 9, 30))
show(train, 'Monday — the clock activated the train: branch cut and QA deploy ran')
goto(at(8, 9, 0))
show(train, 'Tuesday — alpha fixes land')
goto(at(10, 12, 30))
show(train, 'Thursday noon — the alpha fixes window closed; development confirms the fixes')
engine.completeManual(train, 'alpha-fixes', 'fixes-done', { actor: dana, values: { mergedFixes: 4 } })
goto(at(10, 17, 15))
show(train, 'Thursday 17:00 — QA sign-off opened')
engine.approve(train, 'qa-signoff', 'signoff', { actor: quinn, comment: 'regression suite green' })
goto(at(10, 17, 45))
engine.approve(train, 'qa-signoff', 'signoff', { actor: stakeholder, comment: 'go' })
show(train, 'Thursday evening — QA and the stakeholder signed off')
// Week two.
goto(at(11, 9, 30))
show(train, 'Friday — beta to prod 0: the first deploy failed and was retried; the soak runs')
// A security hotfix, approved now, goes out between prod 1 and prod 2: its gate waits for the
// train's prod 1 (the hotfix process's `after-prod1` gate, given the train's id).
const hotfix = engine.createRelease('hotfix', {
  name: 'Hotfix: Security Patch CVE-2025-1234',
  kind: 'hotfix',
  inputs: { version: '2.1.3-hotfix.1', ticket: 'SEC-1234', environment: 'prod1', train },
  actor: rita,
})
engine.activate(hotfix.id, { actor: rita })
goto(at(11, 9, 50))
engine.approve(hotfix.id, 'approve', 'approve', { actor: oscar, comment: 'patch reviewed' })
show(hotfix.id, "Friday — a hotfix is built and approved; its gate waits for the train's prod 1")
goto(at(13, 9, 30))
show(train, 'Sunday — the soak is over; beta fixes')
engine.completeManual(train, 'beta-fixes', 'beta-fixes-done', { actor: dana, values: { notes: 'two fixes cherry-picked' } })
goto(at(14, 9, 30))
show(train, 'Monday — prod 1')
goto(at(14, 10, 0))
engine.completeManual(hotfix.id, 'deploy', 'sanity', { actor: quinn, values: { evidence: 'https://ci.example/sanity/981' } })
show(hotfix.id, 'Monday — prod 1 done: the gate opened and the hotfix deployed before prod 2')


goto(at(16, 9, 30))
show(train, 'Wednesday — prod 2')
goto(at(21, 9, 30))
show(train, 'The Monday after — prod 3 completes the rollout')

const second = engine.listReleases({ group: 'system-train' }).find((r) => r.id !== train && r.startedAt)
if (second) show(second.id, "Meanwhile: the next week's train, generated by the group, waits for its people")

calendar()
audit(train)
const final = engine.getRelease(train)
console.log(`\nfirst train: ${final.name} — ${final.status}`)
if (final.status !== 'success') process.exitCode = 1

/** Moves the clock to `target` in five-minute steps, letting the engine do what becomes due. */
function goto(target) {
  while (clock.now() < target) {
    clock.advance(Math.min(target - clock.now(), 5 * 60_000))
    engine.runUntilIdle()
  }
}

function show(id, title) {
  const r = engine.getRelease(id)
  console.log(`── ${title} (${fmt(clock.now())})`)
  console.log(`${symbol(r.status)} ${r.name} [${r.status}]${r.rolledBack ? ' (rolled back)' : ''}`)
  for (const ph of Object.values(r.phases)) {
    if (ph.rollback && ph.status === 'pending') continue // rollback phases only matter when they run
    console.log(`  ${symbol(ph.status)} ${ph.id.padEnd(12)} ${ph.status.padEnd(10)} ${span(ph.startedAt, ph.endedAt)}`)
    for (const a of Object.values(ph.activities)) {
      const attempt = a.attempt > 0 ? ` (attempt ${a.attempt + 1})` : ''
      const note = a.error && a.status !== 'success' ? ` — ${a.error.split('\n')[0]}` : ''
      console.log(`      ${symbol(a.status)} ${a.id.padEnd(16)} ${a.status.padEnd(18)} ${span(a.startedAt, a.endedAt)}${attempt}${note}`)
    }
  }
  console.log()
}

function symbol(status) {
  return {
    success: '✔', partial_success: '◐', failed: '✖', aborted: '⊘', on_hold: '⏸', running: '▶', queued: '▶',
    scheduled: '◷', skipped: '↷', waiting_for_input: '✋', ignored: '~',
  }[status] ?? '○'
}

function span(start, end) {
  if (start && end) return `${fmt(start)} → ${fmt(end)} (${human(end - start)})`
  if (start) return `since ${fmt(start)}`
  return ''
}

function human(ms) {
  const m = Math.floor(ms / 60_000)
  if (m < 1) return '<1m'
  if (m < 60) return `${m}m`
  if (m < 60 * 48) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(m / 1440)}d${Math.floor(m / 60) % 24}h`
}

function fmt(t) {
  if (!t) return '—'
  const d = new Date(t)
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' })
  const month = d.toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' })
  const hm = d.toISOString().slice(11, 16)
  return `${day} ${String(d.getUTCDate()).padStart(2, '0')} ${month} ${hm}`
}

function calendar() {
  const from = new Date('2025-04-01T00:00:00Z')
  const to = new Date('2025-05-01T00:00:00Z')
  const entries = engine.calendar(from, to)
  console.log('══ Release calendar, April 2025')
  for (const e of entries) {
    console.log(`  ${e.name.padEnd(44)} ${e.status.padEnd(16)} ${fmt(e.start)} → ${fmt(e.end)}`)
    for (const p of e.phases.filter((p) => !p.planned)) console.log(`      ${p.phaseId.padEnd(12)} ${fmt(p.start)} → ${fmt(p.end)}`)
  }
  const conflicts = engine.conflicts(from, to)
  const nameOf = (id) => entries.find((e) => e.releaseId === id)?.name ?? id
  console.log(`\n  ${conflicts.length} conflict(s) (releases whose windows overlap on a shared service or environment):`)
  for (const c of conflicts.slice(0, 8)) {
    console.log(`  ⚠ ${c.resource} — ${c.releaseIds.map(nameOf).join(' ↔ ')} (${fmt(c.start)} → ${fmt(c.end)})`)
  }
  if (conflicts.length > 8) console.log(`  … and ${conflicts.length - 8} more`)
  const path = join(out, 'calendar.ics')
  writeFileSync(path, engine.calendarIcs(from, to))
  console.log(`\n  iCalendar written to ${path}\n`)
}

function audit(id) {
  console.log('══ Audit trail of the first train')
  for (const e of engine.history(id)) {
    const d = e.data
    let what
    if (e.kind === 'approval_recorded') what = `${d.approved ? 'approved' : 'rejected'} ${d.phase}/${d.activity} by ${d.approver}`
    else if (e.kind === 'activity_failed') what = `${d.phase}/${d.activity} failed: ${String(d.message).split('\n')[0]}`
    else if (e.kind === 'phase_ended') what = `phase ${d.phase} ended ${d.status}`
    else if (e.kind === 'ended') what = `release ended ${d.status}`
    else what = `${e.kind.replaceAll('_', ' ')}${d.phase ? ` ${d.phase}${d.activity ? `/${d.activity}` : ''}` : ''}`
    const comment = e.comment ? `  “${e.comment}”` : ''
    const when = fmt(e.at).replace(/ \w+ (\d\d:\d\d)$/, ' $1')
    console.log(`  ${String(e.seq).padStart(3)} ${when} ${e.actor.padEnd(9)} ${what}${comment}`)
  }
}
