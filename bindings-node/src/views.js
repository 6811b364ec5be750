// The JS half of the read model (compiled once per JS environment by views.rs): every release and
// event list arrives from Rust as ONE JSON string, parsed here; only the time fields are turned
// into Dates (they arrive as milliseconds since the epoch, or RFC 3339 text in events).
// Absent values are null. Returned objects are plain, owned by the caller.
;(() => {
  'use strict'
  const date = (ms) => (ms === null ? null : new Date(ms))

  function activity(a) {
    a.startedAt = date(a.startedAt)
    a.endedAt = date(a.endedAt)
    for (const approval of a.approvals) approval.at = new Date(approval.at)
    return a
  }

  function phase(p) {
    p.startedAt = date(p.startedAt)
    p.endedAt = date(p.endedAt)
    p.notBefore = date(p.notBefore)
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

  return {
    release: (text) => release(JSON.parse(text)),
    releases: (text) => each(JSON.parse(text), release),
    events: (text) => each(JSON.parse(text), event),
    inbox: (text) => each(JSON.parse(text), inboxItem),
    searchPage: (text) => {
      const page = JSON.parse(text)
      each(page.releases, release)
      return page
    },
    json: (text) => JSON.parse(text),
  }
})()
