// The change feed from Node: pages of entries with every field of the core's FeedEntry, filters,
// bad arguments, watching (an async iterator woken by another engine's commits), durable consumers
// and subscribers kept across a restart, and the webhook and NATS sinks with dead letters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { thrown, trainyard } from './helpers.mjs'

const { Engine, ManualClock } = trainyard
const rita = { id: 'rita', roles: ['account_release_manager'] }
const quinn = { id: 'quinn', groups: ['qa'] }

/** The fields of the core's FeedEntry, in camelCase (testdata has no feed view; listed here). */
const ENTRY_FIELDS = [
  'cursor', 'release', 'seqFrom', 'seqTo', 'kinds', 'statusBefore', 'statusAfter', 'deleted', 'at', 'actor',
  'scope', 'processId', 'releaseKind', 'group', 'notifications', 'origin',
].sort()

const PROCESS = {
  id: 'gate',
  phases: [{ id: 'ship', activities: [{ id: 'ok', kind: 'approval', approvers: [{ group: 'qa' }] }] }],
}

function sqliteUrl() {
  return `sqlite://${join(mkdtempSync(join(tmpdir(), 'trainyard-feed-')), 'feed.db')}`
}

/** An engine with the `gate` process and `n` active releases waiting for approval. */
function setup({ url = 'memory://', n = 1, clock } = {}) {
  const engine = Engine.open(url, { clock: clock ?? new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  engine.registerProcess(PROCESS)
  const ids = []
  for (let i = 0; i < n; i++) {
    const r = engine.createRelease('gate', { name: `R${i}`, actor: rita, owners: ['rita'] })
    engine.activate(r.id, { actor: rita })
    ids.push(r.id)
  }
  return { engine, ids }
}

test('changes returns every field of the core FeedEntry, in cursor order, and where to go on', () => {
  const { engine, ids } = setup()
  const page = engine.changes()
  assert.deepEqual(Object.keys(page).sort(), ['entries', 'next'])
  assert.ok(page.entries.length >= 2)
  for (const e of page.entries) assert.deepEqual(Object.keys(e).sort(), ENTRY_FIELDS)
  const [created, activated] = page.entries
  assert.equal(created.release, ids[0])
  assert.equal(created.statusBefore, null, 'created: no status before')
  assert.equal(created.statusAfter, 'draft')
  assert.deepEqual(created.kinds, ['created'])
  assert.equal(created.seqFrom, 1)
  assert.equal(created.actor, 'rita')
  assert.equal(created.scope, 'account')
  assert.equal(created.processId, 'gate')
  assert.equal(created.releaseKind, 'standard')
  assert.equal(created.group, null)
  assert.equal(created.deleted, false)
  assert.ok(created.at instanceof Date)
  assert.equal(created.at.toISOString(), '2025-04-07T09:00:00.000Z')
  assert.equal(activated.statusBefore, 'draft')
  assert.equal(activated.seqFrom, created.seqTo + 1)
  const withNotes = page.entries.find((e) => e.notifications.length > 0)
  assert.ok(withNotes, 'activation notifies the owners')
  assert.ok(withNotes.notifications[0].at instanceof Date)
  assert.equal(withNotes.notifications[0].releaseId, ids[0])
  const cursors = page.entries.map((e) => e.cursor)
  assert.deepEqual([...cursors].sort((a, b) => a - b), cursors)
  assert.equal(new Set(cursors).size, cursors.length)
  assert.equal(page.next, cursors.at(-1))
  assert.equal(engine.feedHead(), page.next)
  assert.deepEqual(engine.changes({ after: page.next }).entries, [])
})

test('filters, limits and the async twin agree with the sync call', async () => {
  const { engine, ids } = setup({ n: 3 })
  engine.approve(ids[1], 'ship', 'ok', { actor: quinn })
  const one = engine.changes({ filter: { releases: [ids[1]] } })
  assert.ok(one.entries.length >= 3)
  assert.ok(one.entries.every((e) => e.release === ids[1]))
  const done = engine.changes({ filter: { statuses: ['success'] } })
  assert.deepEqual(done.entries.map((e) => e.release), [ids[1]])
  const kinds = engine.changes({ filter: { eventKinds: ['approval_recorded'] } })
  assert.equal(kinds.entries.length, 1)
  const noted = engine.changes({ filter: { withNotifications: true } })
  assert.ok(noted.entries.every((e) => e.notifications.length > 0))
  const two = engine.changes({ limit: 2 })
  assert.equal(two.entries.length, 2)
  assert.equal(two.next, two.entries[1].cursor)
  const rest = engine.changes({ after: two.next, limit: 1000 })
  assert.equal(rest.entries[0].cursor > two.next, true)
  assert.deepEqual(await engine.changesAsync({ after: two.next, limit: 1000 }), rest)
  assert.equal(await engine.feedHeadAsync(), engine.feedHead())
})

test('bad arguments are invalid_input naming every problem at once, and change nothing', async () => {
  const { engine } = setup()
  const head = engine.feedHead()
  const err = thrown(() => engine.changes({ after: -1, limit: 'ten', filter: { statuses: ['nope'], colour: 'red' } }))
  assert.equal(err.code, 'invalid_input')
  const paths = err.problems.map((p) => p.path).sort()
  assert.deepEqual(paths, ['options.after', 'options.filter.colour', 'options.filter.statuses[0]', 'options.limit'].sort())
  assert.equal(thrown(() => engine.changes({ limit: 0 })).code, 'invalid_input')
  assert.equal(thrown(() => engine.changes({ limit: 1001 })).code, 'invalid_input')
  await assert.rejects(engine.changesAsync({ after: 1.5 }), (e) => e.code === 'invalid_input')
  assert.equal(thrown(() => engine.consume('', {})).code, 'invalid_input')
  assert.equal(thrown(() => engine.ack('ok', -3)).code, 'invalid_input')
  const sink = thrown(() => engine.addWebhookSink({ name: '', url: 'ftp://x', secret: '' }))
  assert.equal(sink.code, 'invalid_input')
  assert.equal(sink.problems.length, 3, 'name, url and secret, all at once')
  assert.equal(engine.feedHead(), head)
})

test('watch follows commits of another engine on the same SQLite file; return() stops it', async () => {
  const url = sqliteUrl()
  const { engine: watcherEngine } = setup({ url, n: 0 })
  const writer = Engine.open(url, { clock: new ManualClock(new Date('2025-04-07T09:00:00Z')) })
  const watch = watcherEngine.watch({ filter: { processes: ['gate'] } })
  assert.equal(typeof watch[Symbol.asyncIterator], 'function')
  const seen = []
  const reading = (async () => {
    for await (const entry of watch) {
      seen.push(entry)
      if (entry.statusAfter === 'success') break
    }
  })()
  const r = writer.createRelease('gate', { name: 'W', actor: rita })
  writer.activate(r.id, { actor: rita })
  writer.approve(r.id, 'ship', 'ok', { actor: quinn })
  await reading
  assert.equal(seen[0].statusAfter, 'draft')
  assert.equal(seen[0].statusBefore, null)
  assert.equal(seen.at(-1).statusAfter, 'success')
  assert.ok(seen.some((e) => e.kinds.includes('activated')), seen.map((e) => e.kinds.join(',')).join(' | '))
  assert.ok(seen.every((e) => e.release === r.id))
  for (let i = 1; i < seen.length; i++) assert.equal(seen[i].seqFrom, seen[i - 1].seqTo + 1, 'no gap, in order')
  assert.equal(watch.closed, true, 'leaving the loop called return()')
  assert.deepEqual(await watch.next(), { value: undefined, done: true })
})

test('watch from a cursor replays what came after it; a closed watch ends a waiting next()', async () => {
  const { engine } = setup({ n: 2 })
  const all = engine.changes().entries
  const watch = engine.watch({ after: all[0].cursor })
  const first = await watch.next()
  assert.equal(first.done, false)
  assert.deepEqual(first.value, all[1])
  for (let i = 2; i < all.length; i++) assert.equal((await watch.next()).value.cursor, all[i].cursor)
  const waiting = watch.next()
  await watch.return()
  assert.deepEqual(await waiting, { value: undefined, done: true })
})

test('a durable consumer resumes after a restart where it acknowledged', async () => {
  const url = sqliteUrl()
  const { engine, ids } = setup({ url, n: 2 })
  const first = engine.consume('mailer', { limit: 2 })
  assert.equal(first.entries.length, 2)
  engine.ack('mailer', first.next)
  assert.equal(engine.consumerCursor('mailer'), first.next)
  engine.ack('mailer', 0)
  assert.equal(engine.consumerCursor('mailer'), first.next, 'a late ack never goes back')
  engine.close()
  const again = Engine.open(url)
  assert.equal(await again.consumerCursorAsync('mailer'), first.next)
  const rest = await again.consumeAsync('mailer', { filter: { releases: [ids[1]] } })
  assert.ok(rest.entries.length > 0)
  assert.ok(rest.entries.every((e) => e.release === ids[1] && e.cursor > first.next))
  await again.ackAsync('mailer', rest.next)
  assert.deepEqual(again.consume('mailer').entries, [])
})

test('a durable subscriber gets notifications from the feed; a throw is delivered again', () => {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const { engine, ids } = setup({ clock, n: 0 })
  const got = []
  let failOnce = true
  engine.subscribeDurable(
    'pager',
    (n) => {
      if (failOnce) {
        failOnce = false
        throw new Error('pager down')
      }
      got.push(`${n.kind}:${n.releaseId}`)
    },
    { filter: { scopes: ['account'] } },
  )
  const r = engine.createRelease('gate', { name: 'D', actor: rita, owners: ['rita'] })
  engine.activate(r.id, { actor: rita })
  ids.push(r.id)
  engine.runSinks()
  assert.deepEqual(got, [], 'the first delivery threw')
  clock.advance(60 * 1000)
  engine.runSinks()
  assert.ok(got.includes(`release_started:${r.id}`), got.join(' '))
  assert.ok(got.includes(`approval_requested:${r.id}`), got.join(' '))
  assert.equal(engine.consumerCursor('pager') > 0, true)
})

/** A local webhook receiver answering with `statuses` in turn (then 200). */
async function receiver(statuses) {
  const received = []
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) })
      res.statusCode = statuses.shift() ?? 200
      res.end()
    })
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received, close: () => server.close() }
}

test('the webhook sink POSTs signed entries, retries a 500, dead-letters a 400 and replays it', async () => {
  const clock = new ManualClock(new Date('2025-04-07T09:00:00Z'))
  const { engine, ids } = setup({ clock, n: 1 })
  const hook = await receiver([500, 400])
  try {
    engine.addWebhookSink({
      name: 'portal-hooks', url: hook.url, secret: 's3cret', timeout: '5s',
      filter: { releases: ids }, retry: { base: 0, maxAttempts: 3 },
    })
    assert.equal(thrown(() => engine.addWebhookSink({ name: 'portal-hooks', url: hook.url, secret: 'x' })).code, 'already_exists')
    const [first] = await engine.runSinksAsync()
    assert.equal(first.delivered, 0)
    assert.equal(typeof first.lastError, 'string')
    assert.equal(hook.received.length, 1)
    const [second] = await engine.runSinksAsync()
    assert.equal(second.deadLettered, 1, '400 is permanent')
    const letters = engine.deadLetters('portal-hooks')
    assert.equal(letters.length, 1)
    assert.equal(letters[0].permanent, true)
    assert.ok(letters[0].firstFailedAt instanceof Date)
    assert.equal(letters[0].entry.release, ids[0])
    const third = engine.runSinks()
    assert.equal(third[0].caughtUp, true)
    assert.ok(second.delivered + third[0].delivered >= 1, 'the next entries go on')
    const { body, headers } = hook.received[0]
    const expected = 'sha256=' + createHmac('sha256', 's3cret').update(body).digest('hex')
    assert.equal(headers['x-trainyard-signature'], expected)
    assert.equal(JSON.parse(body).entry.release, ids[0])
    const replay = await engine.replayDeadLettersAsync('portal-hooks')
    assert.deepEqual(replay, { delivered: 1, failed: 0, remaining: 0 })
    assert.deepEqual(await engine.deadLettersAsync('portal-hooks'), [])
    assert.equal(thrown(() => engine.replayDeadLetters('nope')).code, 'not_found')
  } finally {
    hook.close()
  }
})

const NATS = process.env.TRAINYARD_TEST_NATS
test('the NATS sink publishes to JetStream', { skip: NATS ? false : 'TRAINYARD_TEST_NATS is not set (CI sets it)' }, async () => {
  const { engine } = setup({ n: 1 })
  const stream = `NODEFEED_${process.pid}`
  engine.addNatsSink({ name: 'bus', url: NATS, subjectPrefix: `nodefeed${process.pid}`, createStream: stream })
  const [report] = await engine.runSinksAsync()
  assert.equal(report.lastError, null, `NATS at ${NATS} must be up`)
  assert.ok(report.delivered >= 2)
  assert.equal(report.caughtUp, true)
})
