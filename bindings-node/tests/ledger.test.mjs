// The deployment ledger from JS: `deployed` and `deployments`, and the same reads on behalf of an
// actor, who sees only the entries of releases they may read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const pat = { id: 'pat', roles: ['org_release_manager:payments'] }

const PROCESS = readFileSync(join(repoRoot, 'testdata', 'processes', 'ship-to-one-environment.yaml'), 'utf8')

function shipped() {
  const e = Engine.inMemory({ clock: new ManualClock(new Date('2025-04-07T09:00:00Z')), releaseLevel: 'organization' })
  e.registerExecutor('x', () => ({}))
  e.registerProcess(PROCESS)
  for (const [scope, env, version] of [['org:payments', 'prod1', '1.0'], ['org:search', 'prod1', '2.0'], ['org:payments', 'prod2', '1.1']]) {
    const r = e.createRelease('ship', { name: `${scope} ${version}`, actor: rita, scope, inputs: { version, env } })
    e.activate(r.id, { actor: rita })
    e.runUntilIdle()
  }
  return e
}

test('deployed answers what is where, and an actor sees only their releases', async () => {
  const e = shipped()
  const where = (list) => list.map((x) => [x.environment, x.version])
  assert.deepEqual(where(e.deployed()), [['prod1', '2.0'], ['prod2', '1.1']])
  // prod1 runs the search org's 2.0 now: pat does not see that slot at all (not payments' older 1.0).
  assert.deepEqual(where(e.deployed({ actor: pat })), [['prod2', '1.1']])
  assert.deepEqual(where(await e.deployedAsync({ actor: pat })), [['prod2', '1.1']])
  assert.deepEqual(e.deployments('checkout', 'prod1').map((x) => x.version), ['2.0', '1.0'])
  assert.deepEqual(e.deployments('checkout', 'prod1', { actor: pat }).map((x) => x.version), ['1.0'])
  assert.deepEqual(e.deployed({ environment: 'prod1', service: 'checkout', actor: { id: 'nobody' } }), [])
})

test('bad ledger arguments are refused', () => {
  const e = shipped()
  assert.equal(thrown(() => e.deployments('checkout', 'prod1', { limit: 0, actor: pat })).code, 'invalid_input')
  assert.equal(thrown(() => e.deployed({ actor: { id: 3 } })).code, 'invalid_input')
})
