// The portal's inbox: what waits for the signed-in actor, computed here from the release views and
// the process definitions (the core's `Engine.inbox` is not in the Node binding yet): approvals waiting for input
// whose approvers name the actor or one of their groups (and that they have not decided yet), and
// manual activities waiting for input whose owners name them or one of their groups.

/** Whether `actor` ({ id, groups }) is one of `names` (user ids or group names). */
function named(actor, names) {
  const groups = actor.groups ?? []
  return names.some((n) => n === actor.id || groups.includes(n) || (n.startsWith('group:') && groups.includes(n.slice(6))))
}

/** The activity definition `activityId` of phase `phaseId` in a normalized process document. */
function definition(process, phaseId, activityId) {
  for (const list of [process.phases ?? [], process.rollback ?? []]) {
    const phase = list.find((p) => p.id === phaseId)
    const activity = phase?.activities?.find((a) => a.id === activityId)
    if (activity) return activity
  }
  return null
}

/**
 * What waits for `actor` across `releases`: `[{ releaseId, releaseName, phaseId, activityId, kind,
 * name, since }]`, oldest first. `processOf(id, version)` returns a process document (cached by the
 * caller).
 */
export async function computeInbox(releases, actor, processOf) {
  const items = []
  for (const r of releases) {
    if (!['running', 'on_hold'].includes(r.status)) continue
    for (const phase of Object.values(r.phases)) {
      for (const a of Object.values(phase.activities)) {
        if (a.status !== 'waiting_for_input') continue
        if (a.kind !== 'approval' && a.kind !== 'manual') continue
        const def = definition(await processOf(r.processId, r.processVersion), phase.id, a.id)
        if (def === null) continue
        let mine
        if (a.kind === 'approval') {
          const names = (def.approvers ?? []).map((x) => x.user ?? x.group)
          const decided = a.approvals.some((x) => x.approver === actor.id)
          mine = !decided && named(actor, names)
        } else {
          mine = named(actor, def.owners ?? [])
        }
        if (mine) {
          items.push({
            releaseId: r.id,
            releaseName: r.name,
            phaseId: phase.id,
            activityId: a.id,
            kind: a.kind,
            name: a.name ?? def.name ?? a.id,
            since: a.startedAt,
          })
        }
      }
    }
  }
  items.sort((x, y) => (x.since?.getTime() ?? 0) - (y.since?.getTime() ?? 0))
  return items
}
