// Organisations are isolated: processes and input sets belong to a scope like releases (the
// account's are shared read-only with every org); registerProcess and applyRetention with an actor
// follow the access matrix. The same cases as bindings-python/tests/test_isolation.py.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const account = { id: 'ada', roles: ['account_release_manager'] }
const payments = { id: 'pat', roles: ['org_release_manager:payments'] }
const search = { id: 'sam', roles: ['org_release_manager:search'] }
const PROCESS = {
  id: 'deploy',
  inputs: { region: { type: 'string', default: 'eu' } },
  phases: [{ id: 'go', activities: [{ id: 'ok', kind: 'manual' }] }],
}

function engine() {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-06-02T09:00:00Z')), releaseLevel: 'organization' })
  e.registerProcess(PROCESS)
  return e
}

test('an org manager cannot overwrite another org\'s or the account\'s input set', async () => {
  const e = engine()
  e.saveInputSet('deploy', 'prod', { region: 'eu' }, { actor: account })
  assert.equal(e.saveInputSet('deploy', 'prod', { region: 'us' }, { actor: search, scope: 'org:search' }), 1)
  assert.equal(thrown(() => e.saveInputSet('deploy', 'prod', { region: 'ap' }, { actor: payments })).code, 'permission_denied')
  assert.equal(
    thrown(() => e.saveInputSet('deploy', 'prod', { region: 'ap' }, { actor: payments, scope: 'org:search' })).code,
    'permission_denied',
  )
  await e.saveInputSetAsync('deploy', 'prod', { region: 'ap' }, { actor: payments, scope: 'org:payments' })
  assert.deepEqual(e.getInputSet('deploy', 'prod').values, { region: 'eu' })
  const seen = await e.getInputSetAsync('deploy', 'prod', null, { scope: 'org:search' })
  assert.deepEqual([seen.scope, seen.values], ['org:search', { region: 'us' }])
  assert.equal(e.getInputSet('deploy', 'prod', undefined, { scope: 'org:data' }).scope, 'account')
  assert.deepEqual(e.listInputSets('deploy', { scope: 'org:payments' }), [{ name: 'prod', version: 1 }])
  const r = e.createRelease('deploy', { name: 's', actor: search, scope: 'org:search', inputSet: 'prod' })
  assert.equal(r.inputs.region, 'us')
})

test('processes belong to a scope', async () => {
  const e = engine()
  const own = { ...PROCESS, id: 'search-deploy' }
  assert.equal(e.registerProcess(own, { actor: search }).version, 1)
  assert.equal(thrown(() => e.registerProcess({ ...own, name: 'changed' }, { actor: payments })).code, 'permission_denied')
  assert.equal(
    thrown(() => e.createRelease('search-deploy', { name: 'p', actor: payments, scope: 'org:payments' })).code,
    'permission_denied',
  )
  e.createRelease('search-deploy', { name: 's', actor: search, scope: 'org:search' })
  const err = thrown(() => e.registerProcess({ ...own, name: 'changed' }, { actor: account, scope: 'account' }))
  assert.deepEqual([err.code, err.problems[0].path], ['invalid_input', 'scope'])
  assert.equal(thrown(() => e.registerProcess({ ...PROCESS, name: 'changed' }, { actor: payments })).code, 'permission_denied')
  assert.equal((await e.registerProcessAsync({ ...PROCESS, name: 'changed' }, { actor: account })).version, 2)
  assert.equal(thrown(() => e.registerProcess(PROCESS, { actor: 'not an actor' })).code, 'invalid_input')
})

test('applyRetention with an actor needs an account release manager', async () => {
  const e = engine()
  assert.equal(thrown(() => e.applyRetention(null, { actor: payments })).code, 'permission_denied')
  assert.deepEqual(await e.applyRetentionAsync(undefined, { actor: account }), [])
  assert.deepEqual(e.applyRetention(), [])
})
