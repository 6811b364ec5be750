// The trainyard portal: a small web UI over one store, with `node:http` only (no framework).
//
//   node examples/portal/server.mjs [--url sqlite://target/demo/trainyard.db] [--port 8080] [--host 127.0.0.1]
//
// Pages (one HTML page, examples/portal/page.html, talking to the JSON API below): the release
// list, a month calendar with conflicts and freezes, a release's phase/activity tree with
// durations, and the inbox of the signed-in actor (`?actor=quinn&groups=qa`, or the sign-in form)
// with Approve / Reject buttons. Live updates: one `engine.watch()` over the change feed, fanned out
// to every browser as Server-Sent Events (`GET /events`), so a commit by any process on the store
// (a Python worker, another engine) shows up within a second.
//
// This is an example: the actor is whoever the browser says it is. Put real authentication in
// front of it before anyone else can reach it.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
let trainyard
try {
  trainyard = require('trainyard')
} catch {
  trainyard = require(join(here, '..', '..', 'bindings-node', 'index.js'))
}
const { Engine } = trainyard

const PAGE = readFileSync(join(here, 'page.html'), 'utf8')
const DAY = 24 * 60 * 60 * 1000

/** A release as the list shows it. */
function summary(r) {
  return {
    id: r.id, name: r.name, status: r.status, kind: r.kind, scope: r.scope, processId: r.processId, group: r.group,
    createdAt: r.createdAt, startedAt: r.startedAt, endedAt: r.endedAt, updatedAt: r.updatedAt,
    schedule: r.schedule,
  }
}

/** Milliseconds from `start` to `end` (or to `now` while it runs); null before it starts. */
function duration(start, end, now) {
  if (start === null) return null
  return (end ?? now).getTime() - start.getTime()
}

/** A release's phase/activity tree with durations. */
function tree(r, now) {
  return {
    ...summary(r),
    durationMs: duration(r.startedAt, r.endedAt, now),
    phases: Object.values(r.phases).map((p) => ({
      id: p.id, name: p.name, status: p.status, rollback: p.rollback, startedAt: p.startedAt, endedAt: p.endedAt,
      notBefore: p.notBefore, durationMs: duration(p.startedAt, p.endedAt, now),
      activities: Object.values(p.activities).map((a) => ({
        id: a.id, name: a.name, kind: a.kind, status: a.status, attempt: a.attempt, error: a.error,
        approvals: a.approvals, startedAt: a.startedAt, endedAt: a.endedAt,
        durationMs: duration(a.startedAt, a.endedAt, now),
      })),
    })),
  }
}

/** The actor of a request: `{ id, groups }` from the query or the JSON body. */
function actorOf(query, body) {
  const given = body?.actor ?? { id: query.get('actor'), groups: (query.get('groups') ?? '').split(',') }
  const id = typeof given.id === 'string' ? given.id.trim() : ''
  const groups = (Array.isArray(given.groups) ? given.groups : []).map((g) => String(g).trim()).filter(Boolean)
  return id === '' ? null : { id, groups }
}

/** The month `YYYY-MM` of the query (default: the current one) as [start, end). */
function month(query) {
  const text = query.get('month')
  const m = /^(\d{4})-(\d{2})$/.exec(text ?? '')
  const now = new Date()
  const [y, mo] = m ? [Number(m[1]), Number(m[2]) - 1] : [now.getUTCFullYear(), now.getUTCMonth()]
  return [new Date(Date.UTC(y, mo, 1)), new Date(Date.UTC(y, mo + 1, 1))]
}

/**
 * Starts the portal on `url` (a trainyard storage URL). Resolves to `{ server, address, engine,
 * close() }` once it listens.
 */
export async function startPortal({ url, port = 8080, host = '127.0.0.1' } = {}) {
  const engine = await Engine.openAsync(url)
  const clients = new Set()
  // The core's inbox index (`Engine.inbox`): what the actor (by id or group) may act on, oldest
  // first, each with why; items they see but may not act on (a self-approval ban, already decided)
  // are left out of the list.
  const inbox = async (actor) =>
    (await engine.inboxAsync(actor, { limit: 100 })).filter((i) => i.canAct).map((i) => ({ ...i, name: i.activityId }))

  // One watch over the feed for every browser: each entry goes to each open event stream.
  const watch = engine.watch()
  const following = (async () => {
    for await (const e of watch) {
      const data = JSON.stringify({
        cursor: e.cursor, release: e.release, statusBefore: e.statusBefore, statusAfter: e.statusAfter,
        kinds: e.kinds, actor: e.actor, at: e.at,
      })
      for (const res of clients) res.write(`id: ${e.cursor}\nevent: change\ndata: ${data}\n\n`)
    }
  })()
  following.catch((err) => console.error('portal: the feed watch stopped:', err))

  async function api(method, path, query, body) {
    if (method === 'GET' && path === '/api/releases') {
      return (await engine.listReleasesAsync()).map(summary).reverse()
    }
    const one = /^\/api\/releases\/([^/]+)$/.exec(path)
    if (method === 'GET' && one) return tree(await engine.getReleaseAsync(decodeURIComponent(one[1])), new Date())
    if (method === 'GET' && path === '/api/calendar') {
      const [from, to] = month(query)
      const [entries, conflicts, freezes] = await Promise.all([
        engine.calendarAsync(from, to),
        engine.conflictsAsync(from, to),
        engine.listFreezesAsync(),
      ])
      const freezeWindows = conflicts.filter((c) => c.kind === 'freeze')
      const oneOff = freezes
        .filter((f) => f.recurrence === null && f.start < to && (f.end ?? f.start) >= from)
        .map((f) => ({ id: f.id, name: f.name, start: f.start, end: f.end }))
      const names = new Map(freezes.map((f) => [f.id, f.name]))
      for (const c of freezeWindows) {
        if (!oneOff.some((f) => f.id === c.freezeId && f.start <= c.start)) {
          oneOff.push({ id: c.freezeId, name: names.get(c.freezeId) ?? c.freezeId, start: c.start, end: c.end })
        }
      }
      return {
        from, to, days: Math.round((to - from) / DAY),
        entries: entries.map((e) => ({ releaseId: e.releaseId, name: e.name, status: e.status, start: e.start, end: e.end })),
        conflicts, freezes: oneOff,
      }
    }
    if (method === 'GET' && path === '/api/inbox') {
      const actor = actorOf(query)
      if (actor === null) return { status: 400, error: { code: 'invalid_input', message: 'sign in: ?actor=<id>&groups=<a,b>' } }
      return inbox(actor)
    }
    const decide = /^\/api\/(approve|reject)$/.exec(path)
    if (method === 'POST' && decide) {
      const actor = actorOf(query, body)
      if (actor === null) return { status: 400, error: { code: 'invalid_input', message: 'actor.id is required' } }
      const { releaseId, phaseId, activityId, comment } = body ?? {}
      const options = { actor, comment: typeof comment === 'string' && comment !== '' ? comment : null }
      const run = decide[1] === 'approve' ? engine.approveAsync : engine.rejectAsync
      // The portal only records decisions: workers and engines elsewhere drive the releases.
      await run.call(engine, releaseId, phaseId, activityId, options)
      return tree(await engine.getReleaseAsync(releaseId), new Date())
    }
    return { status: 404, error: { code: 'not_found', message: `no route ${method} ${path}` } }
  }

  const server = createServer(async (req, res) => {
    const where = new URL(req.url, 'http://portal')
    if (req.method === 'GET' && (where.pathname === '/' || where.pathname === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      return res.end(PAGE)
    }
    if (req.method === 'GET' && where.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ head: await engine.feedHeadAsync() })}\n\n`)
      clients.add(res)
      const ping = setInterval(() => res.write(': ping\n\n'), 15000)
      req.on('close', () => {
        clearInterval(ping)
        clients.delete(res)
      })
      return
    }
    let body = null
    if (req.method === 'POST') {
      const chunks = []
      for await (const c of req) chunks.push(c)
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ error: { code: 'invalid_input', message: 'the body is not JSON' } }))
      }
    }
    let status = 200
    let answer
    try {
      answer = await api(req.method, where.pathname, where.searchParams, body)
      if (answer && answer.error && answer.status) {
        status = answer.status
        answer = { error: answer.error }
      }
    } catch (err) {
      status = { not_found: 404, permission_denied: 403, invalid_transition: 409, conflict: 409 }[err.code] ?? 400
      if (!err.code) status = 500
      answer = { error: { code: err.code ?? 'internal', message: err.message, problems: err.problems ?? [] } }
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(answer))
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const { port: bound } = server.address()
  return {
    server,
    engine,
    address: `http://${host}:${bound}`,
    async close() {
      await watch.return()
      for (const res of clients) res.end()
      await new Promise((r) => server.close(r))
      engine.close()
    },
  }
}

/** `--name value` from the command line. */
function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = flag('url', process.env.TRAINYARD_URL ?? `sqlite://${join(here, '..', '..', 'target', 'demo', 'trainyard.db')}`)
  const portal = await startPortal({ url, port: Number(flag('port', '8080')), host: flag('host', '127.0.0.1') })
  console.log(`trainyard portal on ${portal.address}  (store: ${portal.engine.url})`)
  console.log(`sign in as an approver: ${portal.address}/?actor=quinn&groups=qa`)
  const stop = async () => {
    await portal.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
