// Release metadata and search: labels, description, version, links; filters, sorts, cursors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const START = new Date('2025-04-07T09:00:00Z')
const PROCESS = { id: 'app', phases: [{ id: 'build', activities: [{ id: 'notes', kind: 'manual' }] }] }

function engineWith(n) {
  const clock = new ManualClock(START)
  const e = Engine.inMemory({ clock })
  e.registerProcess(PROCESS)
  for (let i = 0; i < n; i++) {
    e.createRelease('app', { name: `Week ${10 + i} train`, actor: rita, labels: { team: i % 2 === 0 ? 'payments' : 'search' } })
    clock.advance(60_000)
  }
  return e
}

test('metadata is set at create and by update', async () => {
  const e = Engine.inMemory({ clock: new ManualClock(START) })
  e.registerProcess(PROCESS)
  const r = e.createRelease('app', {
    name: 'Week 15',
    actor: rita,
    labels: { team: 'payments', tier: '1' },
    description: 'The weekly train',
    version: '2.1.4',
    links: [{ kind: 'ticket', url: 'https://jira.example/REL-15', title: 'REL-15' }],
  })
  assert.deepEqual(r.labels, { team: 'payments', tier: '1' })
  assert.equal(r.description, 'The weekly train')
  assert.equal(r.version, '2.1.4')
  assert.deepEqual(r.links, [{ kind: 'ticket', url: 'https://jira.example/REL-15', title: 'REL-15' }])
  await e.updateReleaseAsync(r.id, { actor: rita, labels: { tier: null, env: 'prod' }, version: '', links: [{ kind: 'incident', url: 'https://status.example/1' }] })
  const after = e.getRelease(r.id)
  assert.deepEqual(after.labels, { env: 'prod', team: 'payments' })
  assert.equal(after.version, null)
  assert.deepEqual(after.links, [{ kind: 'incident', url: 'https://status.example/1', title: null }])
  const bad = thrown(() => e.createRelease('app', { name: 'Bad', actor: rita, labels: { 'Bad Key': 'x' }, links: [{ kind: 'chat', url: 'u' }] }))
  assert.equal(bad.code, 'invalid_input')
  assert.deepEqual(bad.problems.map((p) => p.path), ['labels.Bad Key', 'links[0]'])
})

test('search filters, sorts and pages with stable cursors', async () => {
  const e = engineWith(7)
  const names = []
  let page = e.search({ labels: { team: 'payments' } }, { sort: 'created_at asc', pageSize: 2 })
  names.push(...page.releases.map((r) => r.name))
  while (page.next !== null) {
    page = await e.searchAsync({ labels: { team: 'payments' } }, { sort: 'created_at asc', pageSize: 2, cursor: page.next })
    names.push(...page.releases.map((r) => r.name))
  }
  assert.deepEqual(names, ['Week 10 train', 'Week 12 train', 'Week 14 train', 'Week 16 train'])
  const first = e.search({}, { sort: 'name desc', pageSize: 1 })
  assert.deepEqual(first.releases.map((r) => r.name), ['Week 16 train'])
  assert.equal(typeof first.next, 'string')
  assert.ok(first.releases[0].createdAt instanceof Date)
  const created = e.search({ created: { from: new Date(START.getTime() + 120_000), to: '2025-04-07T09:04:00Z' } })
  assert.deepEqual(created.releases.map((r) => r.name).sort(), ['Week 12 train', 'Week 13 train'])
  assert.deepEqual(e.search({ nameContains: 'Week 13' }).releases.map((r) => r.name), ['Week 13 train'])
  assert.deepEqual(e.search({ status: ['running'] }).releases, [])
  assert.equal(thrown(() => e.search({}, { sort: 'size' })).code, 'invalid_input')
  assert.equal(thrown(() => e.search({}, { cursor: first.next, sort: 'created_at' })).code, 'invalid_input')
  assert.equal(thrown(() => e.search({ colour: 'red' })).code, 'invalid_input')
  assert.equal(thrown(() => e.search({ status: ['sleeping'] })).code, 'invalid_input')
})
