//! Time for Python: release groups, freezes, the calendar and its conflicts, input sets, the
//! release-group horizon and the built-in command executor — a second `#[pymethods] impl Engine`
//! (pyo3's `multiple-pymethods`), plus the `CalendarEntry` and `Conflict` classes and
//! `Activity.child_id`.
//!
//! Thin like the rest: the keyword arguments become the group/freeze document of DESIGN §6, read by
//! the core's `ReleaseGroup::from_value` / `Freeze::from_value` (which report every problem).

use crate::actor::PyActor;
use crate::engine::PyEngine;
use crate::views::PyActivity;
use crate::{convert, errors, run, time};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDelta, PyDict, PyList, PyTuple};
use serde_json::{Map, Value};
use trainyard::Timestamp;
use trainyard::access::Actor;
use trainyard::calendar::{CalendarEntry, CalendarFilter, Conflict};
use trainyard::schedule::{Freeze, ReleaseGroup};

fn q(s: &str) -> String {
    convert::repr_str(s)
}

fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// A document value: a `date` → `YYYY-MM-DD`, a `datetime` → its wall-clock `YYYY-MM-DDTHH:MM:SS`
/// (local moments: the document's `timezone` says where), a `timedelta` → `<seconds>s`, anything
/// else as JSON data.
fn local_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.cast::<PyDateTime>().is_ok() {
        return Ok(Value::String(obj.call_method1("strftime", ("%Y-%m-%dT%H:%M:%S",))?.extract()?));
    }
    if obj.cast::<PyDate>().is_ok() {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    duration_value(obj)
}

/// A `timedelta` → `<seconds>s`; anything else as JSON data (a duration string such as `2w`).
fn duration_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.cast::<PyDelta>().is_ok() {
        let secs: f64 = obj.call_method0("total_seconds")?.extract()?;
        return Ok(Value::String(format!("{}s", secs.round() as i64)));
    }
    convert::to_json(obj)
}

/// An instant: a tz-aware `datetime` → RFC 3339; a string is passed on (the core parses it).
fn instant_value(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    if obj.cast::<PyDateTime>().is_ok() {
        return Ok(Value::String(time::timestamp(obj, what)?.to_rfc3339()));
    }
    convert::to_json(obj)
}

fn put(doc: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value.filter(|v| !v.is_null()) {
        doc.insert(key.to_string(), v);
    }
}

fn opt<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

fn to_py_doc<'py, T: serde::Serialize>(py: Python<'py>, v: &T, what: &str) -> PyResult<Bound<'py, PyAny>> {
    let doc = serde_json::to_value(v).map_err(|e| errors::internal(py, &format!("cannot serialize {what}: {e}")))?;
    convert::to_py(py, &doc)
}

/// The calendar filter from `calendar(..., **filters)`: `statuses`/`status`, `kinds`/`kind`,
/// `groups`/`group`, `scopes`/`scope`, `services`/`service`, `environments`/`environment`; each a
/// string or a list of strings.
fn filter_of(filters: Option<&Bound<'_, PyDict>>) -> PyResult<(CalendarFilter, Option<Actor>)> {
    let mut doc = Map::new();
    let mut actor = None;
    if let Some(filters) = filters {
        for (k, v) in filters.iter() {
            let key: String = k.extract()?;
            if key == "actor" {
                if !v.is_none() {
                    actor = Some(
                        v.cast::<PyActor>()
                            .map_err(|_| PyTypeError::new_err("actor must be a trainyard.Actor"))?
                            .get()
                            .inner
                            .clone(),
                    );
                }
                continue;
            }
            let plural = match key.as_str() {
                "statuses" | "status" => "statuses",
                "kinds" | "kind" => "kinds",
                "groups" | "group" => "groups",
                "scopes" | "scope" => "scopes",
                "services" | "service" => "services",
                "environments" | "environment" => "environments",
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "unknown calendar filter {}; expected status(es), kind(s), group(s), scope(s), service(s), \
                         environment(s) or actor",
                        q(other)
                    )));
                }
            };
            let value = match convert::to_json(&v)? {
                Value::Null => continue,
                s @ Value::String(_) => Value::Array(vec![s]),
                list => list,
            };
            doc.insert(plural.to_string(), value);
        }
    }
    let filter = serde_json::from_value(Value::Object(doc))
        .map_err(|e| PyValueError::new_err(format!("bad calendar filter: {e}")))?;
    Ok((filter, actor))
}

/// A release on the calendar (a snapshot): ``release_id``, ``name``, ``status``, ``kind``,
/// ``group``, ``scope``, its window ``start``/``end``, ``phases`` (a list of ``(phase_id, start,
/// end)``), the planned and actual times, and its ``services``/``environments``.
#[pyclass(frozen, module = "trainyard", name = "CalendarEntry")]
pub struct PyCalendarEntry {
    /// Release id.
    #[pyo3(get)]
    release_id: String,
    /// Release name.
    #[pyo3(get)]
    name: String,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// Kind (snake_case).
    #[pyo3(get)]
    kind: String,
    /// The release group that generated it.
    #[pyo3(get)]
    group: Option<String>,
    /// Scope (``account`` or ``org:<id>``).
    #[pyo3(get)]
    scope: String,
    /// Window start.
    #[pyo3(get)]
    start: Timestamp,
    /// Window end.
    #[pyo3(get)]
    end: Timestamp,
    /// Phase windows: ``(phase_id, start, end)`` tuples.
    #[pyo3(get)]
    phases: Py<PyAny>,
    /// Scheduled start.
    #[pyo3(get)]
    planned_start: Option<Timestamp>,
    /// Scheduled end.
    #[pyo3(get)]
    planned_end: Option<Timestamp>,
    /// Activation time.
    #[pyo3(get)]
    actual_start: Option<Timestamp>,
    /// End time.
    #[pyo3(get)]
    actual_end: Option<Timestamp>,
    /// Values of its ``service`` inputs.
    #[pyo3(get)]
    services: Vec<String>,
    /// Values of its ``environment`` inputs.
    #[pyo3(get)]
    environments: Vec<String>,
}

impl PyCalendarEntry {
    fn new(py: Python<'_>, e: &CalendarEntry) -> PyResult<Self> {
        let phases = PyList::empty(py);
        for p in &e.phases {
            phases.append(PyTuple::new(
                py,
                [
                    p.phase_id.clone().into_pyobject(py)?.into_any(),
                    time::to_datetime(py, &p.start)?,
                    time::to_datetime(py, &p.end)?,
                ],
            )?)?;
        }
        Ok(PyCalendarEntry {
            release_id: e.release_id.clone(),
            name: e.name.clone(),
            status: e.status.as_str().to_string(),
            kind: snake(&e.kind),
            group: e.group.clone(),
            scope: e.scope.clone(),
            start: e.start,
            end: e.end,
            phases: phases.into_any().unbind(),
            planned_start: e.planned_start,
            planned_end: e.planned_end,
            actual_start: e.actual_start,
            actual_end: e.actual_end,
            services: e.services.clone(),
            environments: e.environments.clone(),
        })
    }
}

#[pymethods]
impl PyCalendarEntry {
    fn __repr__(&self) -> String {
        format!(
            "CalendarEntry(name={}, status={}, kind={}, start={}, end={})",
            q(&self.name),
            q(&self.status),
            q(&self.kind),
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}

/// A calendar conflict: ``kind`` (``overlap``: two releases share a service or environment at the
/// same time; ``freeze``: a release overlaps a freeze window), ``release_ids``, the ``resource``
/// (``service:x``, ``environment:y``, ``*``), ``freeze_id`` (freeze conflicts) and the overlap
/// ``start``/``end``.
#[pyclass(frozen, module = "trainyard", name = "Conflict")]
pub struct PyConflict {
    /// ``overlap`` or ``freeze``.
    #[pyo3(get)]
    kind: String,
    /// The releases: two for an overlap, one for a freeze.
    #[pyo3(get)]
    release_ids: Vec<String>,
    /// The shared resource.
    #[pyo3(get)]
    resource: String,
    /// The freeze (freeze conflicts).
    #[pyo3(get)]
    freeze_id: Option<String>,
    /// Start of the overlap.
    #[pyo3(get)]
    start: Timestamp,
    /// End of the overlap.
    #[pyo3(get)]
    end: Timestamp,
}

impl PyConflict {
    fn new(c: &Conflict) -> Self {
        PyConflict {
            kind: snake(&c.kind),
            release_ids: c.release_ids.clone(),
            resource: c.resource.clone(),
            freeze_id: c.freeze_id.clone(),
            start: c.start,
            end: c.end,
        }
    }
}

#[pymethods]
impl PyConflict {
    fn __repr__(&self) -> String {
        let ids: Vec<String> = self.release_ids.iter().map(|i| q(i)).collect();
        format!(
            "Conflict(kind={}, resource={}, release_ids=[{}], start={}, end={})",
            q(&self.kind),
            q(&self.resource),
            ids.join(", "),
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}

#[pymethods]
impl PyActivity {
    /// The current child release of a subprocess activity (``None`` otherwise).
    #[getter]
    fn child_id(&self) -> Option<String> {
        self.child_id.clone()
    }
}

/// The release-group document from `create_release_group`/`update_release_group` arguments.
#[allow(clippy::too_many_arguments)]
fn group_doc(
    id: String,
    name: String,
    process: String,
    cadence: &Bound<'_, PyAny>,
    timezone: String,
    duration: &Bound<'_, PyAny>,
    starts_on: &Bound<'_, PyAny>,
    ends_on: Option<&Bound<'_, PyAny>>,
    name_template: Option<String>,
    input_set: Option<String>,
    inputs: Option<&Bound<'_, PyAny>>,
    kind: &str,
    auto_start: bool,
    scope: &str,
    owners: Option<Vec<String>>,
) -> PyResult<Value> {
    let mut doc = Map::new();
    doc.insert("id".into(), Value::String(id));
    doc.insert("name".into(), Value::String(name));
    doc.insert("process".into(), Value::String(process));
    doc.insert("cadence".into(), convert::to_json(cadence)?);
    doc.insert("timezone".into(), Value::String(timezone));
    doc.insert("duration".into(), duration_value(duration)?);
    doc.insert("starts_on".into(), local_value(starts_on)?);
    put(&mut doc, "ends_on", opt(ends_on).map(local_value).transpose()?);
    put(&mut doc, "name_template", name_template.map(Value::String));
    put(&mut doc, "input_set", input_set.map(Value::String));
    put(&mut doc, "inputs", opt(inputs).map(convert::to_json).transpose()?);
    doc.insert("kind".into(), Value::String(kind.into()));
    doc.insert("auto_start".into(), Value::Bool(auto_start));
    doc.insert("scope".into(), Value::String(scope.into()));
    put(&mut doc, "owners", owners.map(|o| Value::Array(o.into_iter().map(Value::String).collect())));
    Ok(Value::Object(doc))
}

#[pymethods]
impl PyEngine {
    // ---- time: release groups ----

    /// Creates a release group (a recurring release) and its scheduled releases up to the horizon;
    /// returns the group as a dict.
    ///
    /// ``cadence`` is an RRULE string (``"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"``) or the friendly dict
    /// (``{"every": "week", "on": "monday", "at": "09:00"}``) in ``timezone``; ``duration`` a
    /// duration string (``"2w"``) or ``timedelta``; ``starts_on``/``ends_on`` a ``date``, a
    /// wall-clock ``datetime`` or ``"YYYY-MM-DD[THH:MM]"``. ``name_template`` may use ``{name}``,
    /// ``{year}``, ``{iso_year}``, ``{iso_week}``, ``{month}``, ``{date}``, ``{n}``, and so may every
    /// string in ``inputs`` (``{"version": "1.{iso_week}.0"}``). ``owners`` (user ids or group
    /// names) become the owners of its releases; without them, the process's owners do. Raises
    /// ``ValidationError`` listing every problem, ``NotFoundError`` for an unknown process or input
    /// set, ``ConflictError`` for an existing id.
    #[pyo3(signature = (*, id, name, process, cadence, timezone, duration, starts_on, actor, ends_on = None,
        name_template = None, input_set = None, inputs = None, kind = "standard", auto_start = true,
        scope = "account", owners = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_release_group<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: String,
        process: String,
        cadence: &Bound<'py, PyAny>,
        timezone: String,
        duration: &Bound<'py, PyAny>,
        starts_on: &Bound<'py, PyAny>,
        actor: PyRef<'py, PyActor>,
        ends_on: Option<&Bound<'py, PyAny>>,
        name_template: Option<String>,
        input_set: Option<String>,
        inputs: Option<&Bound<'py, PyAny>>,
        kind: &str,
        auto_start: bool,
        scope: &str,
        owners: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let doc = group_doc(
            id,
            name,
            process,
            cadence,
            timezone,
            duration,
            starts_on,
            ends_on,
            name_template,
            input_set,
            inputs,
            kind,
            auto_start,
            scope,
            owners,
        )?;
        let engine = self.engine(py)?;
        let actor = actor.inner.clone();
        let group =
            run(py, move || ReleaseGroup::from_value(&doc).and_then(|g| engine.create_release_group(g, &actor)))?;
        to_py_doc(py, &group, "the release group")
    }

    /// Replaces a release group (same ``id``; the arguments of ``create_release_group``) and
    /// brings its releases that have not started in line. Returns a dict of release ids:
    /// ``created``, ``rescheduled``, ``deleted``.
    #[pyo3(signature = (*, id, name, process, cadence, timezone, duration, starts_on, actor, ends_on = None,
        name_template = None, input_set = None, inputs = None, kind = "standard", auto_start = true,
        scope = "account", owners = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_release_group<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: String,
        process: String,
        cadence: &Bound<'py, PyAny>,
        timezone: String,
        duration: &Bound<'py, PyAny>,
        starts_on: &Bound<'py, PyAny>,
        actor: PyRef<'py, PyActor>,
        ends_on: Option<&Bound<'py, PyAny>>,
        name_template: Option<String>,
        input_set: Option<String>,
        inputs: Option<&Bound<'py, PyAny>>,
        kind: &str,
        auto_start: bool,
        scope: &str,
        owners: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let doc = group_doc(
            id,
            name,
            process,
            cadence,
            timezone,
            duration,
            starts_on,
            ends_on,
            name_template,
            input_set,
            inputs,
            kind,
            auto_start,
            scope,
            owners,
        )?;
        let engine = self.engine(py)?;
        let actor = actor.inner.clone();
        let changes =
            run(py, move || ReleaseGroup::from_value(&doc).and_then(|g| engine.update_release_group(g, &actor)))?;
        let d = PyDict::new(py);
        d.set_item("created", changes.created)?;
        d.set_item("rescheduled", changes.rescheduled)?;
        d.set_item("deleted", changes.deleted)?;
        Ok(d.into_any())
    }

    /// A release group as a dict (``NotFoundError`` names the existing ones).
    #[pyo3(signature = (id))]
    fn get_release_group<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine(py)?;
        let group = run(py, move || engine.get_release_group(&id))?;
        to_py_doc(py, &group, "the release group")
    }

    /// Every release group (dicts), by id.
    fn list_release_groups<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let engine = self.engine(py)?;
        let groups = run(py, move || engine.list_release_groups())?;
        groups.iter().map(|g| to_py_doc(py, g, "a release group")).collect()
    }

    /// Deletes a release group and its releases still ``draft`` or ``scheduled`` (returns their
    /// ids); started releases are kept.
    #[pyo3(signature = (id, *, actor))]
    fn delete_release_group(&self, py: Python<'_>, id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<String>> {
        let engine = self.engine(py)?;
        let actor = actor.inner.clone();
        run(py, move || engine.delete_release_group(&id, &actor))
    }

    /// Sets how far ahead release groups create their scheduled releases (default 90 days).
    #[pyo3(signature = (horizon))]
    fn set_horizon(&self, py: Python<'_>, horizon: chrono::Duration) -> PyResult<()> {
        self.engine(py)?.set_horizon(horizon);
        Ok(())
    }

    /// How far ahead release groups create their scheduled releases.
    fn horizon(&self, py: Python<'_>) -> PyResult<chrono::Duration> {
        Ok(self.engine(py)?.horizon())
    }

    // ---- time: freezes ----

    /// Adds a freeze window (account release managers only) and returns it as a dict.
    ///
    /// ``start``/``end`` are tz-aware datetimes (or RFC 3339 strings); a freeze with neither
    /// ``environments`` nor ``services`` freezes everything. ``recurrence`` (``{"cadence": …,
    /// "timezone": …, "duration": …}``) repeats it, ``end`` then being the last start. ``id``
    /// defaults to a slug of ``name``. Manual activation inside it raises ``ScheduleError``
    /// (``activate(..., force=True)`` overrides); automated work waits until it ends.
    #[pyo3(signature = (*, name, start, end, actor, environments = Vec::new(), services = Vec::new(),
        recurrence = None, id = None, reason = None),
        text_signature = "($self, *, name, start, end, actor, environments=(), services=(), recurrence=None, id=None, reason=None)")]
    #[allow(clippy::too_many_arguments)]
    fn add_freeze<'py>(
        &self,
        py: Python<'py>,
        name: String,
        start: &Bound<'py, PyAny>,
        end: Option<&Bound<'py, PyAny>>,
        actor: PyRef<'py, PyActor>,
        environments: Vec<String>,
        services: Vec<String>,
        recurrence: Option<&Bound<'py, PyAny>>,
        id: Option<String>,
        reason: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = id.unwrap_or_else(|| slug(&name));
        let mut doc = Map::new();
        doc.insert("id".into(), Value::String(id));
        doc.insert("name".into(), Value::String(name));
        doc.insert("start".into(), instant_value(start, "start")?);
        put(&mut doc, "end", opt(end).map(|e| instant_value(e, "end")).transpose()?);
        doc.insert("environments".into(), environments.into());
        doc.insert("services".into(), services.into());
        if let Some(r) = opt(recurrence) {
            let mut r = convert::to_json(r)?;
            if let (Some(obj), Some(d)) = (r.as_object_mut(), recurrence.and_then(|r| r.get_item("duration").ok())) {
                obj.insert("duration".into(), duration_value(&d)?);
            }
            doc.insert("recurrence".into(), r);
        }
        put(&mut doc, "reason", reason.map(Value::String));
        let doc = Value::Object(doc);
        let engine = self.engine(py)?;
        let actor = actor.inner.clone();
        let freeze = run(py, move || Freeze::from_value(&doc).and_then(|f| engine.add_freeze(f, &actor)))?;
        to_py_doc(py, &freeze, "the freeze")
    }

    /// Every freeze (dicts).
    fn list_freezes<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let engine = self.engine(py)?;
        let freezes = run(py, move || engine.list_freezes())?;
        freezes.iter().map(|f| to_py_doc(py, f, "a freeze")).collect()
    }

    /// Deletes a freeze (account release managers only).
    #[pyo3(signature = (id, *, actor))]
    fn delete_freeze(&self, py: Python<'_>, id: String, actor: PyRef<'_, PyActor>) -> PyResult<()> {
        let engine = self.engine(py)?;
        let actor = actor.inner.clone();
        run(py, move || engine.delete_freeze(&id, &actor))
    }

    // ---- time: the calendar ----

    /// The releases on the calendar in ``[start, end)`` (tz-aware datetimes), by start, as
    /// ``CalendarEntry``. ``filters``: ``status``/``statuses``, ``kind``/``kinds``,
    /// ``group``/``groups``, ``scope``/``scopes``, ``service``/``services``,
    /// ``environment``/``environments`` (a string or a list), and ``actor`` (only the releases
    /// that actor may read).
    #[pyo3(signature = (start, end, **filters))]
    fn calendar(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<PyCalendarEntry>> {
        let (from, to) = (time::timestamp(start, "start")?, time::timestamp(end, "end")?);
        let (filter, actor) = filter_of(filters)?;
        let engine = self.engine(py)?;
        let entries = run(py, move || match actor {
            Some(a) => engine.calendar_as(&a, from, to, &filter),
            None => engine.calendar(from, to, &filter),
        })?;
        entries.iter().map(|e| PyCalendarEntry::new(py, e)).collect()
    }

    /// The conflicts in ``[start, end)``: releases overlapping on a shared service or environment,
    /// and releases overlapping a freeze window.
    #[pyo3(signature = (start, end))]
    fn conflicts(&self, py: Python<'_>, start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<Vec<PyConflict>> {
        let (from, to) = (time::timestamp(start, "start")?, time::timestamp(end, "end")?);
        let engine = self.engine(py)?;
        let list = run(py, move || engine.conflicts(from, to))?;
        Ok(list.iter().map(PyConflict::new).collect())
    }

    /// The calendar of ``[start, end)`` as iCalendar (RFC 5545) text, one ``VEVENT`` per release;
    /// ``filters`` as for ``calendar``.
    #[pyo3(signature = (start, end, **filters))]
    fn calendar_ics(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        filters: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let (from, to) = (time::timestamp(start, "start")?, time::timestamp(end, "end")?);
        let (filter, actor) = filter_of(filters)?;
        if actor.is_some() {
            return Err(PyTypeError::new_err("calendar_ics takes no actor filter"));
        }
        let engine = self.engine(py)?;
        run(py, move || engine.calendar_ics(from, to, &filter))
    }

    // ---- input sets (minimal; see the module doc) ----

    // ---- the built-in command executor ----
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
