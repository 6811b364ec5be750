//! Releases: `register`, `create`, `ls`, `show`, `history` and the commands people issue
//! (`activate`, `approve`, `reject`, `retry`, `ignore`, `abort`, `pause`, `resume`), each through
//! the engine's actor-taking methods, so the API's authorization applies.

use crate::args::{CreateArgs, InboxArgs, LsArgs, RegisterArgs, ReleaseArg, StoreArgs};
use crate::output::{json_line, time};
use crate::{CliResult, Ctx, EXIT_OK, Failure};
use indexmap::IndexMap;
use serde_json::{Value, json};
use trainyard::access::Actor;
use trainyard::display::{TreeFormat, paint, release_colour, write_status_tree_with};
use trainyard::release::{NewRelease, ReleaseState, ReleaseStatus};
use trainyard::{Engine, ReleaseFilter};

/// An activity decision: which activity, with what comment or reason.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Phase id.
    pub phase: String,
    /// Activity id.
    pub activity: String,
    /// Comment (approve, reject) or reason (retry, ignore).
    pub comment: Option<String>,
}

/// A command people issue to a release.
#[derive(Debug, Clone)]
pub enum Act {
    /// Activate now.
    Activate,
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Abort, with the reason.
    Abort(String),
    /// Approve an approval.
    Approve(Decision),
    /// Reject an approval.
    Reject(Decision),
    /// Retry an on_hold activity.
    Retry(Decision),
    /// Ignore an on_hold activity.
    Ignore(Decision),
}

impl Act {
    fn name(&self) -> &'static str {
        match self {
            Act::Activate => "activate",
            Act::Pause => "pause",
            Act::Resume => "resume",
            Act::Abort(_) => "abort",
            Act::Approve(_) => "approve",
            Act::Reject(_) => "reject",
            Act::Retry(_) => "retry",
            Act::Ignore(_) => "ignore",
        }
    }
}

/// The actor `--as` names, or a usage error naming the command that needs one.
pub(crate) fn require_actor(store: &StoreArgs, what: &str) -> Result<Actor, Failure> {
    store.actor().ok_or_else(|| {
        Failure::Usage(format!(
            "`{what}` acts on behalf of someone: pass --as USER (with --roles/--groups as the API's actors have)"
        ))
    })
}

/// The release, read as `--as` when given.
fn read(engine: &Engine, id: &str, store: &StoreArgs) -> Result<std::sync::Arc<ReleaseState>, Failure> {
    Ok(match store.actor() {
        Some(actor) => engine.get_release_as(id, &actor)?,
        None => engine.get_release(id)?,
    })
}

/// `register FILES…`.
pub(crate) fn register(ctx: &mut Ctx<'_>, engine: &Engine, a: &RegisterArgs) -> CliResult {
    let mut registered = Vec::new();
    for file in &a.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
        let info = engine.register_process(&text)?;
        registered.push(json!({ "file": file.display().to_string(), "process": info.id, "version": info.version }));
    }
    if ctx.json() {
        json_line(ctx, &Value::Array(registered))?;
    } else {
        for r in &registered {
            writeln!(
                ctx.out,
                "registered {} v{} ({})",
                r["process"].as_str().unwrap_or(""),
                r["version"],
                r["file"].as_str().unwrap_or("")
            )?;
        }
    }
    Ok(EXIT_OK)
}

/// `create PROCESS --name …`.
pub(crate) fn create(ctx: &mut Ctx<'_>, engine: &Engine, a: &CreateArgs, store: &StoreArgs) -> CliResult {
    let actor = require_actor(store, "create")?;
    let mut inputs = IndexMap::new();
    for pair in &a.inputs {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(Failure::Usage(format!("--input `{pair}`: write NAME=VALUE")));
        };
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        inputs.insert(name.to_string(), value);
    }
    let new = NewRelease { name: a.name.clone(), inputs, owners: a.owners.clone(), ..Default::default() };
    let r = engine.create_release(&a.process, new, &actor)?;
    if ctx.json() {
        json_line(ctx, &crate::output::release_json(&r))?;
    } else {
        writeln!(ctx.out, "{}", r.id)?;
    }
    Ok(EXIT_OK)
}

/// `ls`.
pub(crate) fn ls(ctx: &mut Ctx<'_>, engine: &Engine, a: &LsArgs, store: &StoreArgs) -> CliResult {
    let status = match &a.status {
        Some(s) => Some(s.parse::<ReleaseStatus>().map_err(|_| {
            let valid: Vec<&str> = ReleaseStatus::ALL.iter().map(|s| s.as_str()).collect();
            Failure::Usage(format!("--status `{s}` is not a release status; use one of {}", valid.join(", ")))
        })?),
        None => None,
    };
    let filter = ReleaseFilter { status, group: a.group.clone(), include_archived: a.archived, ..Default::default() };
    let releases = match store.actor() {
        Some(actor) => engine.list_releases_as(&filter, &actor)?,
        None => engine.list_releases(&filter)?,
    };
    if ctx.json() {
        let views: Vec<Value> = releases.iter().map(crate::output::release_json).collect();
        json_line(ctx, &Value::Array(views))?;
        return Ok(EXIT_OK);
    }
    for r in &releases {
        let status = paint(ctx.color, r.status.as_str(), release_colour(r.status));
        let pad = 16usize.saturating_sub(r.status.as_str().len());
        writeln!(ctx.out, "{}  {status}{:pad$}  {:<12} {}", r.id, "", r.process_id, r.name)?;
    }
    Ok(EXIT_OK)
}

/// `show RELEASE`.
pub(crate) fn show(ctx: &mut Ctx<'_>, engine: &Engine, a: &ReleaseArg, store: &StoreArgs) -> CliResult {
    let r = read(engine, &a.release, store)?;
    if ctx.json() {
        json_line(ctx, &crate::output::release_json(&r))?;
    } else {
        let waiting: Vec<String> = r.locks.iter().filter(|c| c.held_since.is_none()).map(|c| c.name.clone()).collect();
        let locks = match (waiting.is_empty(), store.actor()) {
            (true, _) => Vec::new(),
            (false, Some(actor)) => engine.locks_as(Some(&waiting), &actor)?,
            (false, None) => engine.locks(Some(&waiting))?,
        };
        write_status_tree_with(ctx.out, &r, &TreeFormat { color: ctx.color, ..TreeFormat::default() }, &locks)?;
    }
    Ok(EXIT_OK)
}

/// `history RELEASE`.
pub(crate) fn history(ctx: &mut Ctx<'_>, engine: &Engine, a: &ReleaseArg, store: &StoreArgs) -> CliResult {
    let events = match store.actor() {
        Some(actor) => engine.history_as(&a.release, &actor)?,
        None => engine.history(&a.release)?,
    };
    if ctx.json() {
        json_line(ctx, &serde_json::to_value(&events).unwrap_or_default())?;
        return Ok(EXIT_OK);
    }
    for e in &events {
        writeln!(ctx.out, "{:>4} {} {:<12} {}", e.seq, time(e.at), e.actor, e.kind.name())?;
    }
    Ok(EXIT_OK)
}

/// A command on a release, as `--as`.
pub(crate) fn act(ctx: &mut Ctx<'_>, engine: &Engine, id: &str, act: Act, store: &StoreArgs) -> CliResult {
    let actor = require_actor(store, act.name())?;
    let events = match &act {
        Act::Activate => engine.activate(id, &actor)?,
        Act::Pause => engine.pause(id, &actor)?,
        Act::Resume => engine.resume(id, &actor)?,
        Act::Abort(reason) => engine.abort(id, &actor, reason)?,
        Act::Approve(d) => engine.approve(id, &d.phase, &d.activity, &actor, d.comment.as_deref())?,
        Act::Reject(d) => engine.reject(id, &d.phase, &d.activity, &actor, d.comment.as_deref())?,
        Act::Retry(d) => engine.retry(id, &d.phase, &d.activity, &actor, None, d.comment.as_deref())?,
        Act::Ignore(d) => engine.ignore(id, &d.phase, &d.activity, &actor, IndexMap::new(), d.comment.as_deref())?,
    };
    let r = engine.get_release(id)?;
    if ctx.json() {
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
        let v = json!({ "release": id, "command": act.name(), "status": r.status.as_str(), "events": kinds });
        json_line(ctx, &v)?;
    } else {
        writeln!(ctx.out, "{}: {} event(s); {} is now {}", act.name(), events.len(), r.name, r.status.as_str())?;
    }
    Ok(EXIT_OK)
}

/// `inbox --as USER [--limit N]`: what the actor may act on, and what they are listed on but may
/// not act on now (with the reason).
pub(crate) fn inbox(ctx: &mut Ctx<'_>, engine: &Engine, a: &InboxArgs, store: &StoreArgs) -> CliResult {
    let actor = require_actor(store, "inbox")?;
    let items = engine.inbox(&actor, a.limit)?;
    if ctx.json() {
        json_line(ctx, &serde_json::to_value(&items).unwrap_or_default())?;
        return Ok(EXIT_OK);
    }
    for i in &items {
        let kind = serde_json::to_value(i.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let mark = if i.can_act { "→" } else { "✗" };
        writeln!(
            ctx.out,
            "{mark} {} {}/{}.{} {kind:<16} since {} ({})",
            i.release_name,
            i.release_id,
            i.phase_id,
            i.activity_id,
            time(i.since),
            i.reason
        )?;
    }
    if items.is_empty() {
        writeln!(ctx.out, "nothing waits for {}", actor.id)?;
    }
    Ok(EXIT_OK)
}
