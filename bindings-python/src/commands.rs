//! The release and activity commands of `trainyard.Engine` (`schedule`, `activate` … `skip`; a
//! `#[pymethods] impl Engine` of their own, pyo3's `multiple-pymethods`), declared as a table with
//! [`engine_commands!`], which other files use for their engine methods of the same kind. Each
//! entry names its positional ids, its keyword arguments with their conversions, and the one core
//! call it makes; every argument is converted (one ``InvalidInputError`` listing every bad one),
//! then the core call runs with the GIL released.

use crate::convert;
use pyo3::prelude::*;

/// The `#[pymethods]` block of the engine methods listed: for each,
/// `fn name(ids [more positional]; keyword = default: type => conversion, ...) -> Ret => |engine| core call;`.
/// The ids are text (their own names are the paths of their problems); the optional bracketed
/// positional arguments are written like the keywords. Every argument is converted first (one
/// ``InvalidInputError`` listing every bad one); the call sees each converted, under its own name,
/// and runs with the GIL released. Without `-> Ret` it returns the events the call appended; with
/// it, what the call returns, or what `then |py, value| ...` makes of that. Attributes (the
/// docs, a `#[pyo3(text_signature = ...)]`) are passed on.
macro_rules! engine_commands {
    ($(
        $(#[$attr:meta])*
        fn $name:ident(
            $($id:ident),*
            $([$($pos:ident $(= $pdefault:tt)?: $pty:ty => $pconv:expr),+ $(,)?])?;
            $($kw:ident $(= $default:tt)?: $ty:ty => $conv:expr),+ $(,)?
        ) $(-> $ret:ty)? => |$e:ident| $call:expr $(, then |$py:ident, $value:ident| $then:expr)?;
    )+) => {
        #[pyo3::pymethods]
        impl $crate::engine::PyEngine {
            $(
                $(#[$attr])*
                #[pyo3(signature = ($($id,)* $($($pos $(= $pdefault)?,)+)? * $(, $kw $(= $default)?)+))]
                #[allow(clippy::too_many_arguments)]
                fn $name(
                    &self,
                    py: pyo3::Python<'_>,
                    $($id: &pyo3::Bound<'_, pyo3::PyAny>,)*
                    $($($pos: $pty,)+)?
                    $($kw: $ty,)+
                ) -> pyo3::PyResult<$crate::commands::command_result!($($ret)?)> {
                    $crate::convert::args!(py;
                        $($id = $crate::convert::text($id, stringify!($id)),)*
                        $($($pos = $pconv,)+)?
                        $($kw = $conv,)+
                    );
                    $crate::commands::command_body!(self, py, move |$e| $call $(, $ret)? $(, |$py, $value| $then)?)
                }
            )+
        }
    };
}
pub(crate) use engine_commands;

/// The return type of an [`engine_commands!`] method: the events, or the type it names.
macro_rules! command_result {
    () => { Vec<$crate::views::PyEvent> };
    ($ret:ty) => { $ret };
}
pub(crate) use command_result;

/// The body of an [`engine_commands!`] method once its arguments are converted.
macro_rules! command_body {
    ($this:ident, $py:ident, $call:expr) => {
        $this.command($py, $call)
    };
    ($this:ident, $py:ident, $call:expr, $ret:ty) => {
        $this.call($py, $call)
    };
    ($this:ident, $py:ident, $call:expr, $ret:ty, |$py_name:ident, $value:ident| $then:expr) => {{
        let $value = $this.call($py, $call)?;
        let $py_name = $py;
        $then
    }};
}
pub(crate) use command_body;

/// An argument pyo3 converted already (a `bool`), in the shape of [`convert`]'s conversions.
pub(crate) fn given<T>(value: T) -> convert::Conv<T> {
    Ok(value)
}

engine_commands! {
    /// Schedules (or reschedules) a release at ``start`` (tz-aware), optionally planned to ``end``;
    /// validates and locks its inputs. With ``auto_start`` the clock activates it at ``start``.
    #[pyo3(text_signature = "($self, release_id, *, start, actor, end=None, auto_start=True)")]
    fn schedule(release_id;
        start: &Bound<'_, PyAny> => convert::timestamp(start, "start"),
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        end = None: Option<&Bound<'_, PyAny>> => convert::opt_timestamp(end, "end"),
        auto_start = None: Option<&Bound<'_, PyAny>> => convert::opt_flag(auto_start, "auto_start", true),
    ) => |e| e.schedule(&release_id, &actor, start, end, auto_start);

    /// Activates a release now (before its scheduled start: pre-execution, recorded). Inside a
    /// freeze window it raises ``ScheduleError``; ``force=True`` (account release managers only)
    /// activates anyway, recorded as forced.
    #[pyo3(text_signature = "($self, release_id, *, actor, force=False)")]
    fn activate(release_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        force = None: Option<&Bound<'_, PyAny>> => convert::opt_flag(force, "force", false),
    ) => |e| if force { e.activate_forced(&release_id, &actor) } else { e.activate(&release_id, &actor) };

    /// Pauses a release: nothing new starts until ``resume``.
    fn pause(release_id; actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"))
        => |e| e.pause(&release_id, &actor);

    /// Lets a paused release progress again.
    fn resume(release_id; actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"))
        => |e| e.resume(&release_id, &actor);

    /// Aborts a release, recording ``reason``; running activities are aborted.
    fn abort(release_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
    ) => |e| e.abort(&release_id, &actor, &reason);

    /// Restarts a failed or aborted release (failed, aborted and failure-skipped work runs again).
    fn restart(release_id; actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"))
        => |e| e.restart(&release_id, &actor);

    /// Archives a release that has ended.
    fn archive(release_id; actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"))
        => |e| e.archive(&release_id, &actor);

    /// Deletes a release: a draft or scheduled one is deleted (a ``deleted`` event); a running or
    /// on_hold one raises ``InvalidTransitionError``, and so does an ended one that is not archived
    /// (its data is kept for the retention period); an archived one that ended within the
    /// retention period raises ``ConflictError`` naming the day it becomes deletable; after that it
    /// is purged with its events (the returned list is then empty). A release referenced by
    /// another (a subprocess parent) raises ``ConflictError``.
    fn delete_release(release_id; actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"))
        => |e| e.delete_release(&release_id, &actor);

    // ---- activity commands ----

    /// Approves an approval activity (only listed approvers may).
    fn approve(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        comment = None: Option<&Bound<'_, PyAny>> => convert::opt_text(comment, "comment"),
    ) => |e| e.approve(&release_id, &phase_id, &activity_id, &actor, comment.as_deref());

    /// Rejects an approval activity: it fails (then its ``on_failure`` applies).
    fn reject(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        comment = None: Option<&Bound<'_, PyAny>> => convert::opt_text(comment, "comment"),
    ) => |e| e.reject(&release_id, &phase_id, &activity_id, &actor, comment.as_deref());

    /// Completes a manual activity with its field ``values`` (validated against its fields;
    /// ``InvalidInputError`` lists every bad one).
    fn complete_manual(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        values: &Bound<'_, PyAny> => convert::map(values, "values"),
    ) => |e| e.complete_manual(&release_id, &phase_id, &activity_id, &actor, values);

    /// Retries an ``on_hold`` activity, optionally with changed ``inputs`` (its ``with`` values,
    /// merged name by name over the last attempt's: fix-and-continue; a name the activity's
    /// ``with`` does not have is refused), recording ``reason``.
    fn retry(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        inputs = None: Option<&Bound<'_, PyAny>> => convert::opt_map(inputs, "inputs"),
        reason = None: Option<&Bound<'_, PyAny>> => convert::opt_text(reason, "reason"),
    ) => |e| e.retry(&release_id, &phase_id, &activity_id, &actor, inputs, reason.as_deref());

    /// Ignores an ``on_hold`` activity, optionally supplying the ``outputs`` downstream needs.
    fn ignore(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        outputs = None: Option<&Bound<'_, PyAny>> => convert::opt_map(outputs, "outputs"),
        reason = None: Option<&Bound<'_, PyAny>> => convert::opt_text(reason, "reason"),
    ) => |e| e.ignore(&release_id, &phase_id, &activity_id, &actor, outputs.unwrap_or_default(), reason.as_deref());

    /// Fails an ``on_hold`` activity for good.
    fn fail(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason = None: Option<&Bound<'_, PyAny>> => convert::opt_text(reason, "reason"),
    ) => |e| e.fail(&release_id, &phase_id, &activity_id, &actor, reason.as_deref());

    /// Skips a pending activity (or a gate that waits: ``reason`` must not be blank then),
    /// recording ``reason``; its dependents may start.
    fn skip(release_id, phase_id, activity_id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
    ) => |e| e.skip(&release_id, &phase_id, &activity_id, &actor, &reason);
}
