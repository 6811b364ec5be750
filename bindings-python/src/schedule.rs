//! Time for Python: `trainyard.ManualClock`, release groups, the release-group horizon and freeze
//! windows (a second `#[pymethods] impl Engine`, pyo3's `multiple-pymethods`).
//!
//! Thin like the rest: the keyword arguments become the release-group / freeze document, read by
//! the core's `ReleaseGroup::from_value` / `Freeze::from_value` (which report every problem). A
//! value that cannot be such a document (a `nan`, a naive `datetime`, a `bytes` name) is refused
//! here with the same `ValidationError` and the field's name as its path.

use crate::commands::engine_commands;
use crate::convert::{self, Conv, Refused, args};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDelta, PyDict};
use serde_json::{Map, Value};
use trainyard::Timestamp;
use trainyard::schedule::{Clock, Freeze, ManualClock, ReleaseGroup};
use trainyard::validate::codes;

/// A clock that only moves when told to; pass it to ``Engine.in_memory(clock=...)`` or
/// ``Engine.open(url, clock=...)`` to drive releases through simulated time (a two-week release
/// train runs in milliseconds).
///
/// ``ManualClock(start)`` stands at the tz-aware ``datetime`` ``start``. The engine reads the same
/// clock: ``advance`` or ``set`` it, then call ``engine.tick()`` / ``engine.run_until_idle()`` to fire
/// what became due.
#[pyclass(frozen, module = "trainyard", name = "ManualClock")]
pub struct PyManualClock {
    pub(crate) inner: ManualClock,
}

#[pymethods]
impl PyManualClock {
    #[new]
    #[pyo3(signature = (start))]
    fn new(py: Python<'_>, start: &Bound<'_, PyAny>) -> PyResult<Self> {
        args!(py; start = convert::timestamp(start, "start"));
        Ok(PyManualClock { inner: ManualClock::new(start) })
    }

    /// The current time (tz-aware, UTC).
    fn now(&self) -> Timestamp {
        self.inner.now()
    }

    /// Moves the clock by ``by`` and returns the new time: a ``timedelta`` (a negative one moves it
    /// back) or a duration string such as ``"30m"`` or ``"1d 12h"``.
    #[pyo3(signature = (by))]
    fn advance(&self, py: Python<'_>, by: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
        args!(py; by = convert::duration(by, "by", true));
        let next = self.inner.now().checked_add_signed(by).filter(|t| convert::fits_datetime(*t));
        if next.is_none() {
            let message = format!("moving the clock by {by} leaves the years 1 to 9999 a datetime can hold");
            return Err(Refused::one("by", codes::INVALID_VALUE, message).invalid_input(py));
        }
        let clock = self.inner.clone();
        crate::run(py, move || {
            clock.advance(by);
            Ok(clock.now())
        })
    }

    /// Sets the clock to the tz-aware ``datetime`` ``to``.
    #[pyo3(signature = (to))]
    fn set(&self, py: Python<'_>, to: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py; to = convert::timestamp(to, "to"));
        self.inner.set(to);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.inner.now().to_rfc3339())
    }
}

/// Builds a definition document (a release group, a freeze) from keyword arguments, collecting
/// the problems of every field.
#[derive(Default)]
struct Doc {
    fields: Map<String, Value>,
    problems: Vec<trainyard::Problem>,
}

impl Doc {
    fn put(&mut self, key: &str, value: Conv<Value>) -> PyResult<()> {
        match value {
            Ok(Value::Null) => {}
            Ok(v) => {
                self.fields.insert(key.to_owned(), v);
            }
            Err(Refused::Problems(p)) => self.problems.extend(p),
            Err(Refused::Raised(e)) => return Err(e),
        }
        Ok(())
    }

    fn opt(
        &mut self,
        key: &str,
        obj: Option<&Bound<'_, PyAny>>,
        read: fn(&Bound<'_, PyAny>, &str) -> Conv<Value>,
    ) -> PyResult<()> {
        match obj {
            Some(o) if !o.is_none() => self.put(key, read(o, key)),
            _ => Ok(()),
        }
    }

    fn finish(self, py: Python<'_>) -> PyResult<Value> {
        if self.problems.is_empty() {
            Ok(Value::Object(self.fields))
        } else {
            Err(Refused::Problems(self.problems).invalid_definition(py))
        }
    }
}

/// A local moment of a document: a `date` → `YYYY-MM-DD`, a `datetime` → its wall-clock
/// `YYYY-MM-DDTHH:MM:SS` (the document's `timezone` says where), or a string the core parses.
fn local_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    if obj.cast::<PyDateTime>().is_ok() {
        return Ok(Value::String(obj.call_method1("strftime", ("%Y-%m-%dT%H:%M:%S",))?.extract()?));
    }
    if obj.cast::<PyDate>().is_ok() {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    convert::text(obj, path).map(Value::String)
}

/// A duration of a document: a `timedelta` of whole seconds → `<n>s`, or a duration string (the
/// core parses it and names what is wrong).
fn duration_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    if obj.cast::<PyDelta>().is_err() {
        return convert::text(obj, path).map(Value::String);
    }
    let d = convert::duration(obj, path, false)?;
    if d.subsec_nanos() != 0 {
        return Err(Refused::one(path, codes::BAD_DURATION, format!("is {d}; durations here count whole seconds")));
    }
    Ok(Value::String(format!("{}s", d.num_seconds())))
}

/// An instant: a tz-aware `datetime` → RFC 3339; a string is passed on (the core parses it).
fn instant_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    if obj.cast::<PyDateTime>().is_ok() {
        return convert::timestamp(obj, path).map(|t| Value::String(t.to_rfc3339()));
    }
    convert::text(obj, path).map(Value::String)
}

fn text_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    convert::text(obj, path).map(Value::String)
}

fn flag_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    convert::flag(obj, path).map(Value::Bool)
}

/// `overlap`: a text (`allow`, `skip`, `buffer_one`) or a mapping (`{"max_in_flight": 2}`); the
/// core checks the value.
fn overlap_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    if obj.is_instance_of::<pyo3::types::PyDict>() {
        convert::map(obj, path).map(|m| Value::Object(m.into_iter().collect()))
    } else {
        convert::text(obj, path).map(Value::String)
    }
}

fn list_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    convert::text_list(obj, path).map(Value::from)
}

/// A cadence: an RRULE string or the friendly dict (`{"every": "week", "on": "monday"}`).
fn cadence_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    convert::json(obj, path)
}

/// A freeze's `recurrence` dict, its `duration` given as a string or a `timedelta`.
fn recurrence_value(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return convert::json(obj, path);
    };
    let copy = dict.copy()?;
    let duration = copy.get_item("duration")?;
    if duration.is_some() {
        copy.del_item("duration")?;
    }
    let mut value = convert::json(copy.as_any(), path)?;
    if let (Some(d), Value::Object(fields)) = (duration, &mut value) {
        fields.insert("duration".into(), duration_value(&d, &format!("{path}.duration"))?);
    }
    Ok(value)
}

impl GroupArgs<'_, '_> {
    /// The release-group document; `ValidationError` listing every field that cannot be one.
    fn document(&self, py: Python<'_>) -> PyResult<ReleaseGroup> {
        let mut doc = Doc::default();
        doc.put("id", text_value(self.id, "id"))?;
        doc.put("name", text_value(self.name, "name"))?;
        doc.put("process", text_value(self.process, "process"))?;
        doc.put("cadence", cadence_value(self.cadence, "cadence"))?;
        doc.opt("timezone", self.timezone, text_value)?;
        doc.put("duration", duration_value(self.duration, "duration"))?;
        doc.put("starts_on", local_value(self.starts_on, "starts_on"))?;
        doc.opt("ends_on", self.ends_on, local_value)?;
        doc.opt("name_template", self.name_template, text_value)?;
        doc.opt("input_set", self.input_set, text_value)?;
        doc.opt("inputs", self.inputs, |o, p| convert::map(o, p).map(|m| Value::Object(m.into_iter().collect())))?;
        doc.opt("kind", self.kind, text_value)?;
        doc.opt("auto_start", self.auto_start, flag_value)?;
        doc.opt("scope", self.scope, text_value)?;
        doc.opt("owners", self.owners, list_value)?;
        doc.opt("overlap", self.overlap, overlap_value)?;
        doc.opt("catch_up", self.catch_up, text_value)?;
        let doc = doc.finish(py)?;
        crate::run(py, move || ReleaseGroup::from_value(&doc))
    }
}

/// `GroupArgs`, the keyword arguments of a release group (the required ones, then the optional
/// ones, `actor` between them), and the `#[pymethods]` block of the engine methods that take them
/// (`create_release_group` and `update_release_group`): each converts them to the group document
/// ([`GroupArgs::document`]) and the actor, runs the core call with them (GIL released), then
/// makes the Python value of its result (`then`).
macro_rules! release_group_methods {
    (
        required $req:tt optional $opt:tt
        $($(#[$doc:meta])* fn $name:ident => |$e:ident, $group:ident, $actor:ident| $call:expr,
            then |$py:ident, $value:ident| $then:expr;)+
    ) => {
        release_group_methods!(@args $req $opt);
        $(release_group_methods!(@method $req $opt $(#[$doc])* fn $name
            => |$e, $group, $actor| $call, then |$py, $value| $then);)+
    };
    (@args ($($req:ident),+) ($($opt:ident),+)) => {
        /// The keyword arguments of `create_release_group` / `update_release_group` but ``actor``.
        struct GroupArgs<'a, 'py> {
            $($req: &'a Bound<'py, PyAny>,)+
            $($opt: Option<&'a Bound<'py, PyAny>>,)+
        }
    };
    (
        @method ($($req:ident),+) ($($opt:ident),+) $(#[$doc:meta])* fn $name:ident
            => |$e:ident, $group:ident, $actor:ident| $call:expr, then |$py:ident, $value:ident| $then:expr
    ) => {
        #[pymethods]
        impl PyEngine {
            $(#[$doc])*
            #[pyo3(signature = (*, $($req,)+ actor, $($opt = None),+),
                text_signature = "($self, *, id, name, process, cadence, duration, starts_on, actor, timezone='UTC', \
                ends_on=None, name_template=None, input_set=None, inputs=None, kind='standard', auto_start=True, \
                scope='account', owners=None, overlap='allow', catch_up='latest')")]
            #[allow(clippy::too_many_arguments)]
            fn $name<'py>(
                &self,
                py: Python<'py>,
                $($req: &Bound<'py, PyAny>,)+
                actor: &Bound<'py, PyAny>,
                $($opt: Option<&Bound<'py, PyAny>>,)+
            ) -> PyResult<Bound<'py, PyAny>> {
                args!(py; actor = convert::actor(actor, "actor"));
                let $group = GroupArgs { $($req,)+ $($opt,)+ }.document(py)?;
                let $actor = actor;
                let $value = self.call(py, move |$e| $call)?;
                let $py = py;
                $then
            }
        }
    };
}

release_group_methods! {
    required(id, name, process, cadence, duration, starts_on)
    optional(timezone, ends_on, name_template, input_set, inputs, kind, auto_start, scope, owners, overlap, catch_up)

    /// Creates a release group (a recurring release) and its scheduled releases up to the horizon;
    /// returns the group as a dict.
    ///
    /// ``cadence`` is an RRULE string (``"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"``) or the friendly dict
    /// (``{"every": "week", "on": "monday", "at": "09:00"}``) in ``timezone`` (an IANA name;
    /// default ``"UTC"``); ``duration`` a duration string (``"2w"``) or a ``timedelta`` of whole
    /// seconds; ``starts_on``/``ends_on`` a ``date``, a wall-clock ``datetime`` or
    /// ``"YYYY-MM-DD[THH:MM]"``. ``name_template`` may use ``{name}``, ``{year}``, ``{iso_year}``,
    /// ``{iso_week}``, ``{month}``, ``{date}``, ``{n}``, and so may every string in ``inputs``
    /// (``{"version": "1.{iso_week}.0"}``). ``owners`` (user ids or group names) become the owners
    /// of its releases; without them, the process's owners do. Raises ``ValidationError`` listing
    /// every problem, ``NotFoundError`` for an unknown process or input set, ``AlreadyExistsError`` for
    /// an existing id.
    fn create_release_group => |e, group, actor| e.create_release_group(group, &actor),
        then |py, group| convert::doc_to_py(py, &group, "the release group");

    /// Replaces a release group (same ``id``; the arguments of ``create_release_group``) and
    /// brings its releases that have not started in line. Returns a dict of release ids:
    /// ``created``, ``rescheduled``, ``deleted``.
    fn update_release_group => |e, group, actor| e.update_release_group(group, &actor),
        then |py, changes| {
            let d = PyDict::new(py);
            d.set_item("created", changes.created)?;
            d.set_item("rescheduled", changes.rescheduled)?;
            d.set_item("deleted", changes.deleted)?;
            Ok(d.into_any())
        };
}

engine_commands! {
    /// Pauses a release group: none of its occurrences starts until it is resumed (releases are
    /// still created; the catch-up policy decides about what became due meanwhile). Raises
    /// ``InvalidTransitionError`` when it is paused already, ``PermissionDeniedError`` unless the
    /// actor manages its scope.
    fn pause_release_group(id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason = None: Option<&Bound<'_, PyAny>> => convert::opt_text(reason, "reason"),
    ) -> () => |e| e.pause_release_group(&id, &actor, reason.as_deref());

    /// Resumes a paused release group (``InvalidTransitionError`` when it is not paused).
    fn resume_release_group(id;
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason = None: Option<&Bound<'_, PyAny>> => convert::opt_text(reason, "reason"),
    ) -> () => |e| e.resume_release_group(&id, &actor, reason.as_deref());
}

#[pymethods]
impl PyEngine {
    // ---- release groups ----

    /// A release group as a dict (``NotFoundError`` names the existing ones).
    #[pyo3(signature = (id))]
    fn get_release_group<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        args!(py; id = convert::text(id, "id"));
        let group = self.call(py, move |e| e.get_release_group(&id))?;
        convert::doc_to_py(py, &group, "the release group")
    }

    /// Every release group (dicts), by id.
    fn list_release_groups<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let groups = self.call(py, |e| e.list_release_groups())?;
        groups.iter().map(|g| convert::doc_to_py(py, g, "a release group")).collect()
    }

    /// Deletes a release group and its releases still ``draft`` or ``scheduled`` (returns their
    /// ids); started releases are kept.
    #[pyo3(signature = (id, *, actor))]
    fn delete_release_group(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        args!(py; id = convert::text(id, "id"), actor = convert::actor(actor, "actor"));
        self.call(py, move |e| e.delete_release_group(&id, &actor))
    }

    /// Whether a release group is paused.
    fn release_group_paused(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        args!(py; id = convert::text(id, "id"));
        self.call(py, move |e| e.release_group_paused(&id))
    }

    /// Activates the group's next not-started occurrence now; returns its release id. Refused
    /// (``InvalidTransitionError``) while the group is paused or its overlap policy would not start
    /// one now, unless ``force`` (the bypass is recorded in the activation's comment).
    #[pyo3(signature = (id, *, actor, force = false))]
    fn trigger_release_group(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        force: bool,
    ) -> PyResult<String> {
        args!(py; id = convert::text(id, "id"), actor = convert::actor(actor, "actor"));
        self.call(py, move |e| e.trigger_release_group(&id, &actor, force).map(|(id, _)| id))
    }

    /// Sets how far ahead release groups create their scheduled releases (default 90 days): a
    /// ``timedelta`` or a duration string such as ``"14d"``.
    #[pyo3(signature = (horizon))]
    fn set_horizon(&self, py: Python<'_>, horizon: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py; horizon = convert::duration(horizon, "horizon", false));
        self.call(py, move |e| {
            e.set_horizon(horizon);
            Ok(())
        })
    }

    /// How far ahead release groups create their scheduled releases.
    fn horizon(&self, py: Python<'_>) -> PyResult<chrono::Duration> {
        self.call(py, |e| Ok(e.horizon()))
    }

    // ---- freezes ----

    /// Adds a freeze window (account release managers only) and returns it as a dict.
    ///
    /// ``start``/``end`` are tz-aware datetimes (or RFC 3339 strings); a freeze with neither
    /// ``environments`` nor ``services`` freezes everything. ``recurrence`` (``{"cadence": …,
    /// "timezone": …, "duration": …}``; ``timezone`` defaults to ``"UTC"``, ``duration`` is a
    /// string or a ``timedelta``) repeats it, ``end`` then being the last start. ``id`` defaults to
    /// a slug of ``name``. Manual activation inside it raises ``ScheduleError``
    /// (``activate(..., force=True)`` overrides); automated work waits until it ends.
    ///
    /// ``mode`` is ``"block"`` (the default: nothing it covers runs inside its windows) or
    /// ``"allow"`` (an allowed window: what it covers runs only inside its windows, and is frozen
    /// outside them until the next one opens; several allowed windows on one resource add up).
    /// Any other value raises ``ValidationError`` with the path ``mode``, naming both. The dict
    /// returned (and those of ``list_freezes``) always has ``"mode"``: the effective mode.
    #[pyo3(signature = (*, name, start, end, actor, environments = None, services = None,
        recurrence = None, id = None, reason = None, mode = None),
        text_signature = "($self, *, name, start, end, actor, environments=(), services=(), recurrence=None, id=None, reason=None, mode=None)")]
    #[allow(clippy::too_many_arguments)]
    fn add_freeze<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: Option<&Bound<'py, PyAny>>,
        actor: &Bound<'py, PyAny>,
        environments: Option<&Bound<'py, PyAny>>,
        services: Option<&Bound<'py, PyAny>>,
        recurrence: Option<&Bound<'py, PyAny>>,
        id: Option<&Bound<'py, PyAny>>,
        reason: Option<&Bound<'py, PyAny>>,
        mode: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        args!(py; actor = convert::actor(actor, "actor"));
        let mut doc = Doc::default();
        let name_text = convert::text(name, "name");
        let default_id = name_text.as_ref().map(|n| slug(n)).unwrap_or_default();
        doc.put(
            "id",
            match id {
                Some(i) if !i.is_none() => text_value(i, "id"),
                _ => Ok(Value::String(default_id)),
            },
        )?;
        doc.put("name", name_text.map(Value::String))?;
        doc.put("start", instant_value(start, "start"))?;
        doc.opt("end", end, instant_value)?;
        doc.opt("environments", environments, list_value)?;
        doc.opt("services", services, list_value)?;
        doc.opt("recurrence", recurrence, recurrence_value)?;
        doc.opt("reason", reason, text_value)?;
        doc.opt("mode", mode, text_value)?;
        let doc = doc.finish(py)?;
        let freeze = self.call(py, move |e| Freeze::from_value(&doc).and_then(|f| e.add_freeze(f, &actor)))?;
        freeze_to_py(py, &freeze, "the freeze")
    }

    /// Every freeze (dicts, each with its effective ``"mode"``: ``"block"`` or ``"allow"``).
    fn list_freezes<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let freezes = self.call(py, |e| e.list_freezes())?;
        freezes.iter().map(|f| freeze_to_py(py, f, "a freeze")).collect()
    }

    /// Deletes a freeze (account release managers only).
    #[pyo3(signature = (id, *, actor))]
    fn delete_freeze(&self, py: Python<'_>, id: &Bound<'_, PyAny>, actor: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py; id = convert::text(id, "id"), actor = convert::actor(actor, "actor"));
        self.call(py, move |e| e.delete_freeze(&id, &actor))
    }
}

/// A freeze as a dict: its document, with `mode` always present (the effective mode, `block`
/// when the freeze was stored without one).
fn freeze_to_py<'py>(py: Python<'py>, freeze: &Freeze, what: &str) -> PyResult<Bound<'py, PyAny>> {
    let view = Freeze { mode: Some(freeze.mode()), ..freeze.clone() };
    convert::doc_to_py(py, &view, what)
}

/// `Weekend freeze!` → `weekend-freeze`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(64).collect();
    if out.is_empty() { "freeze".into() } else { out }
}
