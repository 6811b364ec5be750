// Amending a running release from JS: rewind with a new build (and its dry run), an inserted
// activity, a delegated approval, reassign and reschedulePhase.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')

const PROCESS = `
id: train
inputs:
  build: { type: string, default: "2.1.3" }
phases:
  - id: qa
    outputs: { tested: "\${activities.suite.outputs.build}" }
    activities:
      - { id: suite, kind: automated, executor: qa, outputs: [build], with: { build: "\${inputs.build}" } }
  - id: staging
    depends_on: [qa]
    activities:
      - { id: signoff, kind: approval, approvers: [{ user: sam }] }
      - { id: deploy, kind: automated, executor: qa, depends_on: [signoff], with: { build: "\${phases.qa.outputs.tested}" } }
  - id: prod
    depends_on: [staging]
    not_before: 3d
    activities:
      - { id: deploy, kind: automated, executor: qa }
`

function started() {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerExecutor('qa', (job) => ({ build: job.inputs.build ?? null }))
  e.registerProcess(PROCESS)
  const r = e.createRelease('train', { name: 'Week 15', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()
  return { e, clock, id: r.id }
}

test('rewind with a new build, and its dry run', async () => {
  const { e, id } = started()
  const before = e.history(id).length
  const options = { actor: rita, reason: '2.1.4 fixes QA-12', inputs: { build: '2.1.4' } }
  const preview = e.rewind(id, 'qa', { ...options, dryRun: true })
  assert.equal(preview[0].kind, 'rewound')
  assert.equal(e.history(id).length, before, 'a dry run appends nothing')
  const done = await e.rewindAsync(id, 'qa', options)
  assert.deepEqual(done.map((x) => x.kind), preview.map((x) => x.kind))
  e.runUntilIdle()
  const r = e.getRelease(id)
  assert.equal(r.inputs.build, '2.1.4')
  assert.equal(r.phases.qa.outputs.tested, '2.1.4')
  assert.deepEqual(r.phases.qa.attempts, [{ attempt: 0, status: 'success', outputs: { tested: '2.1.3' }, startedAt: START, endedAt: START }])
  const err = thrown(() => e.rewind(id, 'prod', { actor: rita, reason: 'x' }))
  assert.equal(err.code, 'invalid_input')
  assert.equal(err.problems[0].code, 'not_rewindable')
  assert.equal(thrown(() => e.rewind(id, 'qa', { actor: { id: 'sam' }, reason: 'x' })).code, 'permission_denied')
})

test('insertActivity, delegate, reassign and reschedulePhase', () => {
  const { e, clock, id } = started()
  const smoke = { id: 'smoke', kind: 'manual', fields: [{ name: 'ok', type: 'boolean' }] }
  const [ev] = e.insertActivity(id, 'staging', smoke, { actor: rita, reason: 'smoke test', after: 'signoff' })
  assert.equal(ev.kind, 'activity_inserted')
  const bad = thrown(() => e.insertActivity(id, 'staging', { id: 'smoke', kind: 'automated' }, { actor: rita, reason: 'x' }))
  assert.ok(bad.problems.every((p) => p.path.startsWith('definition')), JSON.stringify(bad.problems))
  e.delegate(id, 'staging', 'signoff', { fromUser: 'sam', toUser: 'vera', actor: { id: 'sam' }, reason: 'on leave' })
  assert.equal(thrown(() => e.approve(id, 'staging', 'signoff', { actor: { id: 'sam' } })).code, 'permission_denied')
  e.reassign(id, 'staging', 'signoff', [{ user: 'lee' }], { actor: rita, reason: 'lee owns staging now' })
  e.approve(id, 'staging', 'signoff', { actor: { id: 'lee' } })
  e.completeManual(id, 'staging', 'smoke', { actor: rita, values: { ok: true } })
  e.runUntilIdle()
  assert.equal(e.getRelease(id).phases.prod.status, 'scheduled')
  const moved = e.reschedulePhase(id, 'prod', new Date(START.getTime() + 3600_000), { actor: rita, reason: 'window moved' })
  // The new earliest start, then the phase scheduled again at it.
  assert.deepEqual(moved.map((x) => x.kind), ['phase_rescheduled', 'phase_scheduled'])
  clock.advance('1h')
  e.runUntilIdle()
  assert.equal(e.getRelease(id).status, 'success', 'prod started at its new time, not after 3 days')
})
