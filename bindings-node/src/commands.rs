//! The release commands and reads of the `Engine` class, each with its `…Async` twin
//! ([`calls!`](crate::tasks::calls)). Commands return the events they appended; reads return
//! release views ([`crate::views`]). Arguments are read by [`crate::convert`]: a wrong one is
//! `invalid_input` naming it (`releaseId`, `options.actor`, `options.inputs.version`).

use crate::convert::Cx;
use crate::engine::Engine;
use crate::options::{
    ActivateOptions, ActorOptions, ApprovalOptions, CompleteManualOptions, CreateReleaseOptions, FailOptions,
    IgnoreOptions, ReadOptions, ReasonOptions, ReleaseFilter, RetryOptions, ScheduleOptions, UpdateReleaseOptions,
};
use crate::tasks::{Call, call, calls};
use crate::views::{self, Reply};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use trainyard::release::{Event, NewRelease, ReleaseChanges};

/// The reply of a command: the events it appended.
fn events(result: trainyard::Result<Vec<Event>>) -> trainyard::Result<Reply> {
    result.map(|list| views::events(&list))
}

/// The `(releaseId, phaseId, activityId)` of an activity command (or amendment).
pub(crate) fn activity_ids(
    cx: &mut Cx,
    release: Unknown,
    phase: Unknown,
    activity: Unknown,
) -> (String, String, String) {
    (cx.arg(release, "releaseId"), cx.arg(phase, "phaseId"), cx.arg(activity, "activityId"))
}

/// A command that needs only the release id and an actor.
fn actor_command(
    cx: &mut Cx,
    release: Unknown,
    options: Unknown,
    run: fn(&trainyard::Engine, &str, &trainyard::access::Actor) -> trainyard::Result<Vec<Event>>,
) -> trainyard::Result<Call> {
    let id: String = cx.arg(release, "releaseId");
    let options: ActorOptions = cx.arg(options, "options");
    cx.finish()?;
    let actor = options.actor.core();
    call(move |e| events(run(e, &id, &actor)))
}

fn create(cx: &mut Cx, process: Unknown, options: Unknown) -> trainyard::Result<Call> {
    let process_id: String = cx.arg(process, "processId");
    let o: CreateReleaseOptions = cx.arg(options, "options");
    let kind = crate::convert::parsed(cx, o.kind.clone(), "options.kind").unwrap_or_default();
    cx.finish()?;
    let actor = o.actor.core();
    let metadata = metadata_change(o.labels.clone(), o.description.clone(), o.version.clone(), o.links.as_ref())?;
    call(move |e| {
        let input_set = match &o.input_set {
            Some(set) => Some(e.input_set_for_release(
                o.scope.as_deref().unwrap_or("account"),
                &process_id,
                set,
                o.input_set_version,
            )?),
            None => None,
        };
        let new = NewRelease {
            name: o.name,
            kind,
            scope: o.scope.unwrap_or_else(|| "account".into()),
            inputs: o.inputs.map(|m| m.into_iter().collect()).unwrap_or_default(),
            owners: o.owners.unwrap_or_default(),
            release_managers: o.release_managers.unwrap_or_default(),
            stakeholders: o.stakeholders.unwrap_or_default(),
            input_set,
            metadata: metadata.apply(&Default::default()),
            ..Default::default()
        };
        let state = e.create_release(&process_id, new, &actor)?;
        Ok(views::release(&state))
    })
}

/// The metadata parts of create and update options, read by the core (every problem at once).
fn metadata_change(
    labels: Option<crate::convert::JsonObject>,
    description: Option<String>,
    version: Option<String>,
    links: Option<&serde_json::Value>,
) -> trainyard::Result<trainyard::release::MetadataChange> {
    let labels = labels.map(|m| serde_json::Value::Object(m.into_iter().collect()));
    trainyard::release::MetadataChange::from_json(labels.as_ref(), description, version, links)
}

/// The core changes of `updateRelease`'s options (`kind` already parsed).
fn release_changes(
    o: UpdateReleaseOptions,
    kind: Option<trainyard::release::ReleaseKind>,
    metadata: trainyard::release::MetadataChange,
) -> ReleaseChanges {
    ReleaseChanges {
        name: o.name,
        inputs: o.inputs.map(|m| m.into_iter().collect()),
        owners: o.owners,
        release_managers: o.release_managers,
        stakeholders: o.stakeholders,
        process: o.process,
        version: o.process_version,
        kind,
        scope: o.scope,
        start: o.start,
        end: o.end,
        metadata,
    }
}

fn read_actor(cx: &mut Cx, options: Unknown) -> Option<trainyard::access::Actor> {
    let options: Option<ReadOptions> = cx.arg(options, "options");
    options.and_then(|o| o.actor).map(|a| a.core())
}

calls! {
    #[doc = " Creates a draft release of the latest version of a process; returns it."]
    #[ts("processId: string, options: CreateReleaseOptions", "Release", "Promise<Release>")]
    fn create_release / create_release_async(&self, cx, process_id, options) {
        create(cx, process_id, options)
    }

    #[doc = " Changes a release that has not started (a draft: anything; a scheduled release: name,"]
    #[doc = " inputs, owners, release managers, stakeholders, planned window); `reason` is recorded."]
    #[ts("releaseId: string, options: UpdateReleaseOptions", "Event[]", "Promise<Event[]>")]
    fn update_release / update_release_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let o: UpdateReleaseOptions = cx.arg(options, "options");
        let kind = crate::convert::parsed(cx, o.kind.clone(), "options.kind");
        cx.finish()?;
        let actor = o.actor.core();
        let metadata = metadata_change(o.labels.clone(), o.description.clone(), o.version.clone(), o.links.as_ref())?;
        let reason = o.reason.clone();
        let changes = release_changes(o, kind, metadata);
        call(move |e| events(e.update_release(&id, &actor, changes, reason.as_deref())))
    }

    #[doc = " Schedules (or reschedules) a release; validates and locks its inputs."]
    #[ts("releaseId: string, options: ScheduleOptions", "Event[]", "Promise<Event[]>")]
    fn schedule / schedule_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let o: ScheduleOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let auto_start = o.auto_start.unwrap_or(true);
        call(move |e| events(e.schedule(&id, &actor, o.start, o.end, auto_start)))
    }

    #[doc = " Activates a release now; with `force: true` even inside a freeze window (recorded)."]
    #[ts("releaseId: string, options: ActivateOptions", "Event[]", "Promise<Event[]>")]
    fn activate / activate_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let o: ActivateOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        if o.force.unwrap_or(false) {
            call(move |e| events(e.activate_forced(&id, &actor)))
        } else {
            call(move |e| events(e.activate(&id, &actor)))
        }
    }

    #[doc = " Stops new work from starting; the release shows `on_hold` until resumed."]
    #[ts("releaseId: string, options: ActorOptions", "Event[]", "Promise<Event[]>")]
    fn pause / pause_async(&self, cx, release_id, options) {
        actor_command(cx, release_id, options, |e, id, a| e.pause(id, a))
    }

    #[doc = " Lets a paused release progress again."]
    #[ts("releaseId: string, options: ActorOptions", "Event[]", "Promise<Event[]>")]
    fn resume / resume_async(&self, cx, release_id, options) {
        actor_command(cx, release_id, options, |e, id, a| e.resume(id, a))
    }

    #[doc = " Aborts a release, recording the reason."]
    #[ts("releaseId: string, options: ReasonOptions", "Event[]", "Promise<Event[]>")]
    fn abort / abort_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let o: ReasonOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.abort(&id, &actor, &o.reason)))
    }

    #[doc = " Restarts a failed or aborted release (successful work is kept)."]
    #[ts("releaseId: string, options: ActorOptions", "Event[]", "Promise<Event[]>")]
    fn restart / restart_async(&self, cx, release_id, options) {
        actor_command(cx, release_id, options, |e, id, a| e.restart(id, a))
    }

    #[doc = " Archives a terminal release."]
    #[ts("releaseId: string, options: ActorOptions", "Event[]", "Promise<Event[]>")]
    fn archive / archive_async(&self, cx, release_id, options) {
        actor_command(cx, release_id, options, |e, id, a| e.archive(id, a))
    }

    #[doc = " Deletes a draft or scheduled release (or an archived one past the retention period)."]
    #[ts("releaseId: string, options: ActorOptions", "Event[]", "Promise<Event[]>")]
    fn delete_release / delete_release_async(&self, cx, release_id, options) {
        actor_command(cx, release_id, options, |e, id, a| e.delete_release(id, a))
    }

    #[doc = " Approves an approval activity."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: ApprovalOptions", "Event[]", "Promise<Event[]>")]
    fn approve / approve_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: ApprovalOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.approve(&r, &p, &a, &actor, o.comment.as_deref())))
    }

    #[doc = " Rejects an approval activity (it fails)."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: ApprovalOptions", "Event[]", "Promise<Event[]>")]
    fn reject / reject_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: ApprovalOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.reject(&r, &p, &a, &actor, o.comment.as_deref())))
    }

    #[doc = " Completes a manual activity with its field values."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: CompleteManualOptions", "Event[]", "Promise<Event[]>")]
    fn complete_manual / complete_manual_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: CompleteManualOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let values = o.values.into_iter().collect();
        call(move |e| events(e.complete_manual(&r, &p, &a, &actor, values)))
    }

    #[doc = " Retries an `on_hold` activity, optionally with changed inputs (fix-and-continue)."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: RetryOptions", "Event[]", "Promise<Event[]>")]
    fn retry / retry_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: RetryOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let inputs = o.inputs.map(|m| m.into_iter().collect());
        call(move |e| events(e.retry(&r, &p, &a, &actor, inputs, o.reason.as_deref())))
    }

    #[doc = " Ignores an `on_hold` activity, optionally supplying the outputs downstream needs."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: IgnoreOptions", "Event[]", "Promise<Event[]>")]
    fn ignore / ignore_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: IgnoreOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let outputs = o.outputs.map(|m| m.into_iter().collect()).unwrap_or_default();
        call(move |e| events(e.ignore(&r, &p, &a, &actor, outputs, o.reason.as_deref())))
    }

    #[doc = " Fails an `on_hold` activity for good."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: FailOptions", "Event[]", "Promise<Event[]>")]
    fn fail / fail_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: FailOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.fail(&r, &p, &a, &actor, o.reason.as_deref())))
    }

    #[doc = " Skips a pending activity, or a gate that waits (with a reason, not blank for a gate)."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: ReasonOptions", "Event[]", "Promise<Event[]>")]
    fn skip / skip_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (r, p, a) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: ReasonOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.skip(&r, &p, &a, &actor, &o.reason)))
    }

    #[doc = " The current state of a release. With `{ actor }` it is read on their behalf:"]
    #[doc = " `permission_denied` when they may not see it."]
    #[ts("releaseId: string, options?: ReadOptions", "Release", "Promise<Release>")]
    fn get_release / get_release_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let actor = read_actor(cx, options);
        cx.finish()?;
        call(move |e| {
            let state = match &actor {
                Some(actor) => e.get_release_as(&id, actor),
                None => e.get_release(&id),
            }?;
            Ok(views::release(&state))
        })
    }

    #[doc = " Releases matching the filter, oldest first (archived ones only with `includeArchived`;"]
    #[doc = " with `actor`, only those they may read)."]
    #[ts("filter?: ReleaseFilter", "Release[]", "Promise<Release[]>")]
    fn list_releases / list_releases_async(&self, cx, filter) {
        let filter: Option<ReleaseFilter> = cx.arg(filter, "filter");
        let filter = filter.unwrap_or_default();
        let core = filter.to_core(cx);
        cx.finish()?;
        let actor = filter.actor.map(|a| a.core());
        call(move |e| {
            let list = match &actor {
                Some(actor) => e.list_releases_as(&core, actor),
                None => e.list_releases(&core),
            }?;
            Ok(views::releases(&list))
        })
    }

    #[doc = " The release's events, oldest first: its audit trail. With `{ actor }`:"]
    #[doc = " `permission_denied` when they may not see the release."]
    #[ts("releaseId: string, options?: ReadOptions", "Event[]", "Promise<Event[]>")]
    fn history / history_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let actor = read_actor(cx, options);
        cx.finish()?;
        call(move |e| {
            events(match &actor {
                Some(actor) => e.history_as(&id, actor),
                None => e.history(&id),
            })
        })
    }
}
