//! Amending a running release from JS: `rewind`, `insertActivity`, `reassign`, `delegate` and
//! `reschedulePhase`, each with its `…Async` twin. Each takes a required `reason` and `dryRun`
//! (the events it would append, appending nothing); the rules are the core's
//! (`trainyard::release::amend`).

use crate::commands::activity_ids;
use crate::convert::{JsonObject, options};
use crate::engine::Engine;
use crate::options::Actor;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use serde_json::Value;
use trainyard::Amend;
use trainyard::release::{ActivityRef, Event, RewindTarget};
use trainyard::validate::codes;

options! {
    #[doc = " Options of `rewind`."]
    pub struct RewindOptions {
        #[doc = " Who amends the release (a release manager)."]
        pub actor: Actor,
        #[doc = " Why (required; recorded in the history)."]
        pub reason: String,
        #[doc = " The activity of the phase to run again (default: the whole phase)."]
        pub activity_id: Option<String>,
        #[doc = " New values of release inputs (merged over the current ones, checked like `createRelease`'s)."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub inputs: Option<JsonObject>,
        #[doc = " Return the events it would append, appending nothing."]
        pub dry_run: Option<bool>,
    }
}

options! {
    #[doc = " Options of `insertActivity`."]
    pub struct InsertActivityOptions {
        #[doc = " Who amends the release (a release manager)."]
        pub actor: Actor,
        #[doc = " Why (required; recorded in the history)."]
        pub reason: String,
        #[doc = " The activity of the phase the new one runs after (added to its `depends_on`)."]
        pub after: Option<String>,
        #[doc = " Return the events it would append, appending nothing."]
        pub dry_run: Option<bool>,
    }
}

options! {
    #[doc = " Options of `reassign` and `reschedulePhase`."]
    pub struct AmendOptions {
        #[doc = " Who amends the release (a release manager)."]
        pub actor: Actor,
        #[doc = " Why (required; recorded in the history)."]
        pub reason: String,
        #[doc = " Return the events it would append, appending nothing."]
        pub dry_run: Option<bool>,
    }
}

options! {
    #[doc = " Options of `delegate`."]
    pub struct DelegateOptions {
        #[doc = " The listed approver who hands over (a user id)."]
        pub from_user: String,
        #[doc = " The user who approves instead."]
        pub to_user: String,
        #[doc = " Who amends the release (a release manager, or `fromUser` themselves)."]
        pub actor: Actor,
        #[doc = " Why (required; recorded in the history)."]
        pub reason: String,
        #[doc = " Return the events it would append, appending nothing."]
        pub dry_run: Option<bool>,
    }
}

fn how(reason: &str, dry_run: Option<bool>) -> Amend<'_> {
    let how = Amend::because(reason);
    if dry_run.unwrap_or(false) { how.dry_run() } else { how }
}

fn events(result: trainyard::Result<Vec<Event>>) -> trainyard::Result<views::Reply> {
    result.map(|list| views::events(&list))
}

calls! {
    #[doc = " Runs a phase (or, with `activityId`, an activity) of a running release again, with"]
    #[doc = " everything downstream of it, optionally with new release `inputs`. Phases keep the"]
    #[doc = " outputs of earlier attempts; what is downstream reads the latest. In-flight work among"]
    #[doc = " the nodes reset is cancelled."]
    #[ts("releaseId: string, phaseId: string, options: RewindOptions", "Event[]", "Promise<Event[]>")]
    fn rewind / rewind_async(&self, cx, release_id, phase_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let phase: String = cx.arg(phase_id, "phaseId");
        let o: RewindOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let to = match o.activity_id {
            Some(a) => RewindTarget::Activity(ActivityRef::new(phase, a)),
            None => RewindTarget::Phase { phase },
        };
        let inputs = o.inputs.map(|m| m.into_iter().collect());
        call(move |e| events(e.rewind(&id, &actor, to, inputs, how(&o.reason, o.dry_run))))
    }

    #[doc = " Adds an ad-hoc activity (an object like a process definition's activity) to a phase"]
    #[doc = " that has not finished. Validated like a process definition: `validation` with every"]
    #[doc = " problem, under `definition`."]
    #[ts("releaseId: string, phaseId: string, definition: Record<string, unknown>, options: InsertActivityOptions", "Event[]", "Promise<Event[]>")]
    fn insert_activity / insert_activity_async(&self, cx, release_id, phase_id, definition, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let phase: String = cx.arg(phase_id, "phaseId");
        let definition: Value = cx.arg(definition, "definition");
        let o: InsertActivityOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| {
            events(e.insert_activity(&id, &actor, &phase, definition, o.after.as_deref(), how(&o.reason, o.dry_run)))
        })
    }

    #[doc = " Replaces who may approve an approval (a manual activity: who may complete it) that"]
    #[doc = " has not ended: `approvers` is a list of `{ user }` / `{ group }`. The decisions already"]
    #[doc = " given in the current attempt are dropped."]
    #[ts("releaseId: string, phaseId: string, activityId: string, approvers: Array<{ user?: string; group?: string }>, options: AmendOptions", "Event[]", "Promise<Event[]>")]
    fn reassign / reassign_async(&self, cx, release_id, phase_id, activity_id, approvers, options) {
        let (id, phase, activity) = activity_ids(cx, release_id, phase_id, activity_id);
        let list: Value = cx.arg(approvers, "approvers");
        let o: AmendOptions = cx.arg(options, "options");
        cx.finish()?;
        let list = serde_json::from_value(list).map_err(|e| trainyard::Error::InvalidInput {
            problems: vec![trainyard::Problem::new(
                "approvers",
                codes::INVALID_VALUE,
                format!("a list of {{ user }} or {{ group }} entries: {e}"),
            )],
        })?;
        let actor = o.actor.core();
        let target = ActivityRef::new(phase, activity);
        call(move |e| events(e.reassign(&id, &actor, target, list, how(&o.reason, o.dry_run))))
    }

    #[doc = " Hands the approval entries that name user `fromUser` to user `toUser` (by a release"]
    #[doc = " manager, or by `fromUser` themselves). Decisions already given stay."]
    #[ts("releaseId: string, phaseId: string, activityId: string, options: DelegateOptions", "Event[]", "Promise<Event[]>")]
    fn delegate / delegate_async(&self, cx, release_id, phase_id, activity_id, options) {
        let (id, phase, activity) = activity_ids(cx, release_id, phase_id, activity_id);
        let o: DelegateOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let target = ActivityRef::new(phase, activity);
        call(move |e| events(e.delegate(&id, &actor, target, &o.from_user, &o.to_user, how(&o.reason, o.dry_run))))
    }

    #[doc = " Sets the earliest start of a phase that has not started, replacing its `not_before`."]
    #[ts("releaseId: string, phaseId: string, notBefore: Date | string, options: AmendOptions", "Event[]", "Promise<Event[]>")]
    fn reschedule_phase / reschedule_phase_async(&self, cx, release_id, phase_id, not_before, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let phase: String = cx.arg(phase_id, "phaseId");
        let at: DateTime<Utc> = cx.arg(not_before, "notBefore");
        let o: AmendOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        call(move |e| events(e.reschedule_phase(&id, &actor, &phase, at, how(&o.reason, o.dry_run))))
    }
}
