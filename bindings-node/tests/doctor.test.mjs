// engine.doctor() / engine.repair() (and their …Async twins): a release made stuck on purpose (its
// timer row or its job deleted in SQLite behind the engine's back) is found, with the fields of
// the core's reports (testdata/api/views.json, camelCased, as Python's), and the repair makes it
// progress again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, tempDir, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const views = JSON.parse(readFileSync(join(repoRoot, 'testdata', 'api', 'views.json'), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const fields = (view) => views[view].map(camel)
const SOAK = 'id: soak\nphases:\n  - id: wait\n    activities: [{ id: soak, kind: wait, duration: 1h }]\n'
const REMOTE = 'id: remote\nphases:\n  - id: build\n    activities: [{ id: b, kind: automated, executor: remote }]\n'
const dir = tempDir('trainyard-doctor-')
test.after(() => rmSync(dir, { recursive: true, force: true }))

/** Runs SQL on the SQLite file behind the engine's back (the sqlite3 shell: Node 20 has no SQLite module); returns the rows changed. */
function sql(file, statement) {
  return Number(execFileSync('sqlite3', [file, `${statement}; SELECT changes();`], { encoding: 'utf8' }).trim())
}

test('doctor finds a lost timer and a lost job; repair makes both progress', async () => {
  const file = join(dir, 'releases.db')
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const e = Engine.open(`sqlite://${file}`, { clock })
  e.registerProcess(SOAK)
  e.registerProcess(REMOTE)
  const waiting = e.createRelease('soak', { name: 'Lost timer', actor: rita })
  e.activate(waiting.id, { actor: rita })
  const queued = e.createRelease('remote', { name: 'Lost job', actor: rita })
  e.activate(queued.id, { actor: rita })
  assert.deepEqual(e.doctor(), { checked: 2, findings: [] })

  assert.equal(sql(file, `UPDATE releases SET next_due = NULL WHERE id = '${waiting.id}'`), 1)
  assert.equal(sql(file, `DELETE FROM jobs WHERE release = '${queued.id}'`), 1)
  const report = e.doctor()
  assert.deepEqual(Object.keys(report), fields('doctor_report'))
  assert.equal(report.checked, 2)
  const found = Object.fromEntries(report.findings.map((f) => [f.releaseId, f]))
  assert.deepEqual(Object.keys(found).sort(), [waiting.id, queued.id].sort())
  const timer = found[waiting.id]
  assert.deepEqual(Object.keys(timer), fields('doctor_finding'))
  assert.deepEqual([timer.name, timer.status, timer.canProgress], ['Lost timer', 'running', false])
  assert.deepEqual(Object.keys(timer.problems[0]), fields('doctor_problem'))
  assert.deepEqual(timer.problems.map((p) => [p.code, p.repairable]), [['timer_missing', true]])
  assert.match(timer.problems[0].message, /timer .*is not in the store/)
  assert.deepEqual(found[queued.id].problems.map((p) => p.code), ['job_missing'])
  assert.deepEqual(await e.doctorAsync(), report)
  // Stuck: two hours later the one-hour wait has still not ended.
  clock.advance('2h')
  e.runUntilIdle()
  assert.equal(e.getRelease(waiting.id).status, 'running')

  const repaired = await e.repairAsync()
  assert.deepEqual(Object.keys(repaired), fields('repair_report'))
  assert.deepEqual([repaired.repaired.sort(), repaired.timersRestored, repaired.jobsRestored], [[waiting.id, queued.id].sort(), 1, 1])
  assert.deepEqual(e.doctor().findings, [])
  assert.deepEqual(e.repair().repaired, [], 'nothing left to repair')
  e.runUntilIdle()
  assert.equal(e.getRelease(waiting.id).status, 'success', 'the restored timer fired')
  assert.deepEqual(e.claimJobs(['remote'], { worker: 'w1' }).map((j) => j.releaseId), [queued.id])
  e.close()
})

test('repair of named releases; bad arguments are coded errors', async () => {
  const e = Engine.inMemory()
  e.registerProcess(SOAK)
  const r = e.createRelease('soak', { name: 'Fine', actor: rita })
  e.activate(r.id, { actor: rita })
  assert.deepEqual(e.repair([r.id]), { repaired: [], timersRestored: 0, jobsRestored: 0 })
  assert.equal(thrown(() => e.repair(['no-such-release'])).code, 'not_found')
  const bad = thrown(() => e.repair('not-a-list'))
  assert.deepEqual([bad.code, bad.problems.map((p) => [p.path, p.code])], ['invalid_input', [['releaseIds', 'wrong_type']]])
  await assert.rejects(e.repairAsync([1]), (err) => err.code === 'invalid_input')
})

test('index.d.ts declares the report interfaces with exactly the core fields', () => {
  const dts = readFileSync(join(repoRoot, 'bindings-node', 'index.d.ts'), 'utf8')
  for (const [name, view] of [['DoctorReport', 'doctor_report'], ['DoctorFinding', 'doctor_finding'], ['DoctorProblem', 'doctor_problem'], ['RepairReport', 'repair_report']]) {
    const match = dts.match(new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`))
    assert.ok(match, `index.d.ts declares interface ${name}`)
    assert.deepEqual([...match[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]), fields(view), name)
  }
})
