// engine.report() / reportCsv() / reportXlsx() (and their …Async twins): two weekly trains and a
// hotfix, with the fields of the core's report (testdata/api/views.json, camelCased, as Python's);
// reportCsv returns one table, reportXlsx the workbook as a Buffer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const quinn = { id: 'quinn', groups: ['qa'] }
const views = JSON.parse(readFileSync(join(repoRoot, 'testdata', 'api', 'views.json'), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const fields = (view) => views[view].map(camel)
const START = new Date('2025-04-07T09:00:00Z')
const HOUR = 3600 * 1000
const DAY = 24 * HOUR
const END = new Date(START.getTime() + 14 * DAY)
const TRAIN = readFileSync(join(repoRoot, 'testdata', 'processes', 'weekly-train.yaml'), 'utf8')

function trains() {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerExecutor('x', (job) => {
    if (job.inputs.version === 'bad') throw new Error('health checks failing')
    return {}
  })
  e.registerProcess(TRAIN)
  const run = (name, kind, version, wait) => {
    const r = e.createRelease('train', { name, kind, inputs: { version }, actor: rita })
    e.activate(r.id, { actor: rita })
    e.runUntilIdle()
    clock.advance(wait)
    e.approve(r.id, 'qa', 'signoff', { actor: quinn, comment: 'looks good' })
    e.runUntilIdle()
    return r.id
  }
  const week15 = run('Week 15', 'standard', '2.1.3', 2 * HOUR)
  clock.advance(DAY)
  const hotfix = run('Hotfix 2.1.4', 'hotfix', '2.1.4', HOUR / 2)
  clock.advance(6 * DAY)
  const week16 = run('Week 16', 'standard', 'bad', HOUR)
  return { e, ids: [week15, hotfix, week16] }
}

test('a report over two weekly trains and a hotfix, with the fields of the core', async () => {
  const { e, ids } = trains()
  const report = e.report(START, END)
  assert.deepEqual(Object.keys(report), fields('report'))
  assert.deepEqual([report.fromTime, report.toTime, report.group], [START, END, null])
  assert.deepEqual(report.releases.map((r) => r.id), ids)
  const w15 = report.releases[0]
  assert.deepEqual(Object.keys(w15), fields('release_report'))
  assert.deepEqual([w15.name, w15.kind, w15.status, w15.rolledBack], ['Week 15', 'standard', 'success', false])
  assert.deepEqual([w15.startedAt, w15.endedAt], [START, new Date(START.getTime() + 2 * HOUR)])
  const build = w15.phases[0]
  assert.deepEqual(Object.keys(build), fields('phase_report'))
  assert.deepEqual([build.id, build.plannedSecs, build.actualSecs, build.overrunSecs], ['build', 3600, 0, -3600])
  assert.deepEqual(build.activities, [{ id: 'compile', status: 'success', actualSecs: 0, attempts: 1 }])
  assert.deepEqual(Object.keys(build.activities[0]), fields('activity_report'))
  assert.deepEqual(w15.approvals, [{ phaseId: 'qa', activityId: 'signoff', waitedSecs: 7200 }])
  assert.deepEqual(Object.keys(w15.approvals[0]), fields('approval_wait'))
  assert.equal(report.releases[2].status, 'failed')
  const d = report.dora
  assert.deepEqual(Object.keys(d), fields('dora'))
  assert.deepEqual([d.deployments, d.changes, d.failedChanges, d.leadTimeSecs], [2, 3, 2, null])
  assert.ok(Math.abs(d.changeFailureRate - 2 / 3) < 1e-9)
  const narrow = await e.reportAsync(START, END, { hotfixWindow: '1h' })
  assert.equal(narrow.dora.failedChanges, 1)
  assert.deepEqual(e.report(START, END, { group: 'nightly' }).releases, [])
  // On behalf of someone: only what they may read counts (quinn approves all three).
  assert.deepEqual(e.report(START, END, { actor: { id: 'quinn', groups: ['qa'] } }).releases.map((r) => r.id), ids)
  const outsider = e.report(START, END, { actor: { id: 'sam' } })
  assert.deepEqual([outsider.releases, outsider.dora.deployments], [[], 0])
  assert.deepEqual(fields('decision_record'), ['what', 'target', 'actor', 'at', 'reason'])
})

test('a report exports as CSV and as an xlsx Buffer', async () => {
  const { e, ids } = trains()
  const lines = e.reportCsv(START, END, 'releases').split('\n')
  assert.equal(lines[0], 'release_id,name,kind,status,rolled_back,started_at,ended_at,duration_secs')
  assert.equal(lines[1], `${ids[0]},Week 15,standard,success,false,2025-04-07T09:00:00Z,2025-04-07T11:00:00Z,7200`)
  assert.match(await e.reportCsvAsync(START, END, 'dora'), /\nchange_failure_rate,0\.6666666666666666\n/)
  const book = e.reportXlsx(START, END)
  assert.ok(Buffer.isBuffer(book))
  assert.equal(book.subarray(0, 2).toString('latin1'), 'PK', 'an xlsx file is a zip')
  assert.ok(Buffer.isBuffer(await e.reportXlsxAsync(START, END)))
})

test('bad arguments are refused with every problem', () => {
  const e = Engine.inMemory()
  const err = thrown(() => e.reportCsv('yesterday', START, 'sheets', { hotfixWindow: -1 }))
  assert.equal(err.code, 'invalid_input')
  assert.deepEqual(err.problems.map((p) => p.path).sort(), ['from', 'options.hotfixWindow', 'table'])
  const range = thrown(() => e.report(START, START))
  assert.deepEqual(range.problems.map((p) => p.code), ['bad_range'])
})

test('index.d.ts declares the report interfaces with exactly the core fields', () => {
  const dts = readFileSync(join(repoRoot, 'bindings-node', 'index.d.ts'), 'utf8')
  const interfaces = [['Report', 'report'], ['ReleaseReport', 'release_report'], ['PhaseReport', 'phase_report'],
    ['ActivityReport', 'activity_report'], ['ApprovalWait', 'approval_wait'], ['DecisionRecord', 'decision_record'], ['Dora', 'dora']]
  for (const [name, view] of interfaces) {
    const match = dts.match(new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`))
    assert.ok(match, `index.d.ts declares interface ${name}`)
    assert.deepEqual([...match[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]), fields(view), name)
  }
})
