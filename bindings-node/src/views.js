// The JS half of the read model (compiled once per JS environment by views.rs): every release and
// event list arrives from Rust as ONE JSON string, parsed here; only the time fields are turned
// into Dates (they arrive as milliseconds since the epoch, or RFC 3339 text in events).
// Absent values are null. Returned objects are plain, owned by the caller.
;(() => {
  'use strict'
  const date = (ms) => (ms === null ? null : new Date(ms))

  function lock(l) {
    l.requestedAt = new Date(l.requestedAt)
    l.heldSince = date(l.heldSince)
    return l
  }

  function activity(a) {
    a.startedAt = date(a.startedAt)
    a.endedAt = date(a.endedAt)
    for (const approval of a.approvals) approval.at = new Date(approval.at)
    for (const l of a.locks) lock(l)
    return a
  }

  function phase(p) {
    p.startedAt = date(p.startedAt)
    p.endedAt = date(p.endedAt)
    p.notBefore = date(p.notBefore)
    for (const attempt of p.attempts) {
      attempt.startedAt = date(attempt.startedAt)
      attempt.endedAt = date(attempt.endedAt)
    }
    for (const l of p.locks) lock(l)
    for (const id in p.activities) activity(p.activities[id])
    return p
  }

  function release(r) {
    r.createdAt = date(r.createdAt)
    r.startedAt = date(r.startedAt)
    r.endedAt = date(r.endedAt)
    r.updatedAt = date(r.updatedAt)
    if (r.schedule !== null) {
      r.schedule.start = new Date(r.schedule.start)
      r.schedule.end = date(r.schedule.end)
    }
    for (const id in r.phases) phase(r.phases[id])
    return r
  }

  function event(e) {
    e.at = new Date(e.at)
    const data = e.data
    if (data === undefined) e.data = {}
    else if (data === null || typeof data !== 'object' || Array.isArray(data)) e.data = { value: data }
    if (e.comment === undefined) e.comment = null
    return e
  }

  function inboxItem(i) {
    i.due = date(i.due)
    i.since = new Date(i.since)
    return i
  }

  function each(list, fn) {
    for (let i = 0; i < list.length; i++) fn(list[i])
    return list
  }

  function feedEntry(e) {
    e.at = new Date(e.at)
    for (const n of e.notifications) n.at = new Date(n.at)
    return e
  }

  function deadLetter(d) {
    feedEntry(d.entry)
    d.firstFailedAt = new Date(d.firstFailedAt)
    d.lastFailedAt = new Date(d.lastFailedAt)
    return d
  }

  // `engine.watch()`: an async iterator over the native watch. Each `next()` waits on a worker
  // thread (up to about a second, woken by commits) and asks again while nothing came; `return()`
  // stops the native watch, so a waiting `next()` ends within a quarter second.
  function watch(native) {
    let done = false
    let pending = Promise.resolve()
    const finished = () => ({ value: undefined, done: true })
    const pull = async () => {
      while (!done) {
        const entry = await native.nextAsync()
        if (entry !== null) return { value: entry, done: false }
        if (native.closed) done = true
      }
      return finished()
    }
    const iterator = {
      [Symbol.asyncIterator]() {
        return iterator
      },
      next() {
        // Calls queue up: entries come in cursor order even when next() is called again early.
        const result = pending.then(pull)
        pending = result.then(
          () => undefined,
          () => undefined,
        )
        return result
      },
      async return(value) {
        done = true
        native.close()
        return { value, done: true }
      },
      close() {
        done = true
        native.close()
      },
      get cursor() {
        return native.cursor
      },
      get closed() {
        return done
      },
    }
    return iterator
  }

  return {
    feedEntry: (text) => feedEntry(JSON.parse(text)),
    feedPage: (text) => {
      const page = JSON.parse(text)
      each(page.entries, feedEntry)
      return page
    },
    deadLetters: (text) => each(JSON.parse(text), deadLetter),
    runReports: (text) =>
      each(JSON.parse(text), (r) => {
        r.retryAt = r.retryAt === null ? null : new Date(r.retryAt)
      }),
    watch,
    release: (text) => release(JSON.parse(text)),
    releases: (text) => each(JSON.parse(text), release),
    events: (text) => each(JSON.parse(text), event),
    inbox: (text) => each(JSON.parse(text), inboxItem),
    locks: (text) => each(JSON.parse(text), lock),
    ledger: (text) =>
      each(JSON.parse(text), (e) => {
        e.at = new Date(e.at)
      }),
    forecast: (text) => {
      const f = JSON.parse(text)
      const date = (t) => (t === null ? null : new Date(t))
      f.at = new Date(f.at)
      f.expectedEnd = date(f.expectedEnd)
      f.plannedEnd = date(f.plannedEnd)
      each(f.phases, (p) => {
        p.expectedStart = date(p.expectedStart)
        p.expectedEnd = date(p.expectedEnd)
      })
      return f
    },
    searchPage: (text) => {
      const page = JSON.parse(text)
      each(page.releases, release)
      return page
    },
    json: (text) => JSON.parse(text),
  }
})()
