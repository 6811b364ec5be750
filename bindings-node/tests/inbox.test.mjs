// The inbox: what waits on a person, across groups, with why they may act or why not.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }

const PROCESS = `
id: inbox-app
phases:
  - id: check
    activities:
      - { id: notes, kind: manual, owners: [ops], fields: [{ name: ticket, type: string }] }
      - id: qa
        kind: approval
        approvers: [{ group: qa }, { user: rita }]
        min_approvals: 2
        forbid_self_approval: true
        deadline: 1d
`

test('inbox lists approvals and manual work across groups, with the self-approval ban', async () => {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  e.registerProcess(PROCESS)
  const r = e.createRelease('inbox-app', { name: 'Week 15', actor: rita })
  e.activate(r.id, { actor: rita })
  e.runUntilIdle()

  const quinn = { id: 'quinn', groups: ['qa', 'ops'] }
  const items = e.inbox(quinn)
  assert.deepEqual(
    items.map((i) => [i.activityId, i.kind, i.canAct]),
    [
      ['notes', 'manual', true],
      ['qa', 'approval', true],
    ],
  )
  const qa = items.find((i) => i.activityId === 'qa')
  assert.equal(qa.releaseId, r.id)
  assert.equal(qa.releaseName, 'Week 15')
  assert.equal(qa.phaseId, 'check')
  assert.equal(qa.reason, 'approver entry group qa')
  assert.ok(qa.due instanceof Date)
  assert.equal(qa.due.toISOString(), '2025-04-08T09:00:00.000Z')
  assert.equal(qa.escalated, false)
  assert.ok(qa.since instanceof Date)
  assert.deepEqual(Object.keys(qa).sort(), [
    'activityId', 'canAct', 'due', 'escalated', 'kind', 'phaseId', 'reason', 'releaseId', 'releaseName', 'since',
  ])
  assert.equal(items.find((i) => i.activityId === 'notes').due, null)

  // Rita started the release: she sees the approval but may not act on it.
  const ritas = e.inbox(rita).filter((i) => i.activityId === 'qa')
  assert.equal(ritas.length, 1)
  assert.equal(ritas[0].canAct, false)
  assert.match(ritas[0].reason, /self-approval ban/)

  // Once Quinn approved, the item stays (one more approval is needed) but says so.
  e.approve(r.id, 'check', 'qa', { actor: quinn })
  const after = (await e.inboxAsync(quinn, { limit: 10 })).find((i) => i.activityId === 'qa')
  assert.equal(after.canAct, false)
  assert.match(after.reason, /already decided by quinn/)
  assert.deepEqual(e.inbox({ id: 'nobody' }), [])
  assert.equal(e.inbox(quinn, { limit: 1 }).length, 1)

  const bad = thrown(() => e.inbox(quinn, { limit: 0 }))
  assert.equal(bad.code, 'invalid_input')
  assert.equal(bad.problems[0].path, 'limit')
  await assert.rejects(e.inboxAsync(quinn, { limit: 5000 }), (err) => err.code === 'invalid_input')
  assert.equal(thrown(() => e.inbox({})).code, 'invalid_input')
})
