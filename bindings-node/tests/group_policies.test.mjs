// Release groups' overlap and catch-up policies, pause, resume and trigger from Node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }

/** The weekly system train (Monday 09:00 Berlin from 7 April 2025), created on Friday 4 April. */
function train (policies = {}) {
  const clock = new ManualClock(new Date('2025-04-04T12:00:00Z'))
  const e = Engine.inMemory({ clock })
  e.registerProcess(readFileSync(join(repoRoot, 'examples/processes/system-release-train.yaml'), 'utf8'))
  e.registerExecutor('command', () => ({ commit: 'abc', url: 'https://x' }))
  e.setHorizon('30d')
  e.createReleaseGroup({
    id: 'train', name: 'Train', process: 'system-release-train', actor: rita,
    cadence: { every: 'week', on: 'monday', at: '09:00' }, timezone: 'Europe/Berlin',
    duration: '2w', startsOn: '2025-04-07', kind: 'system', inputs: { releaseVersion: '2.1.3' }, ...policies
  })
  return { e, clock }
}

const statuses = (e) => e.listReleases({ group: 'train' })
  .sort((a, b) => a.schedule.start - b.schedule.start).slice(0, 3).map((r) => r.status)

test('the policies are stored in camelCase and bad values list the valid ones', () => {
  const { e } = train({ overlap: { maxInFlight: 2 }, catchUp: 'all' })
  const g = e.getReleaseGroup('train')
  assert.deepEqual([g.overlap, g.catchUp], [{ maxInFlight: 2 }, 'all'])
  const plain = train().e.getReleaseGroup('train')
  assert.deepEqual([plain.overlap, plain.catchUp], ['allow', 'latest'])
  const err = thrown(() => train({ overlap: 'sometimes', catchUp: 'maybe' }))
  assert.equal(err.code, 'validation')
  assert.deepEqual(err.problems.map((p) => [p.path, p.code]).sort(),
    [['catch_up', 'invalid_value'], ['overlap', 'invalid_value']])
})

test('after an outage catch_up latest starts only the newest train', () => {
  const { e, clock } = train()
  clock.set(new Date('2025-04-22T08:00:00Z'))
  e.runUntilIdle()
  const s = statuses(e)
  assert.deepEqual(s.slice(0, 2), ['aborted', 'aborted'])
  assert.ok(['running', 'onHold', 'on_hold'].includes(s[2]), s[2])
})

test('pause, resume and a forced trigger are recorded', async () => {
  const { e, clock } = train({ catchUp: 'all' })
  assert.equal(thrown(() => e.pauseReleaseGroup('train', { actor: { id: 'nobody' } })).code, 'permission_denied')
  e.pauseReleaseGroup('train', { actor: rita, reason: 'incident' })
  assert.equal(e.releaseGroupPaused('train'), true)
  clock.set(new Date('2025-04-08T07:00:00Z'))
  e.runUntilIdle()
  assert.equal(statuses(e)[0], 'scheduled')
  assert.equal(thrown(() => e.triggerReleaseGroup('train', { actor: rita })).code, 'invalid_transition')
  const id = await e.triggerReleaseGroupAsync('train', { actor: rita, force: true })
  assert.ok(e.history(id).some((ev) => ev.actor === 'rita' && (ev.comment ?? '').includes('forced: the group is paused')))
  await e.resumeReleaseGroupAsync('train', { actor: rita })
  assert.equal(thrown(() => e.resumeReleaseGroup('train', { actor: rita })).code, 'invalid_transition')
  assert.equal(await e.releaseGroupPausedAsync('train'), false)
})
