//! Release search for Python: `Engine.search(filter=None, sort="created_at desc", cursor=None,
//! page_size=50)` (a `#[pymethods] impl Engine` of its own) and the `SearchPage` it returns.

use crate::convert::{self, args};
use crate::engine::PyEngine;
use crate::views::PyRelease;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use trainyard::store::{SearchFilter, SearchSort};

/// One page of a search: ``releases`` (a list of ``Release``, in the sort order) and ``next``
/// (the cursor of the next page, ``None`` on the last one).
#[pyclass(frozen, module = "trainyard", name = "SearchPage")]
pub struct PySearchPage {
    /// The releases of the page.
    #[pyo3(get)]
    releases: Vec<Py<PyRelease>>,
    /// The cursor of the next page, or ``None``.
    #[pyo3(get)]
    next: Option<String>,
}

#[pymethods]
impl PySearchPage {
    fn __repr__(&self) -> String {
        format!("SearchPage(releases=[{} release(s)], next={})", self.releases.len(), self.next.is_some())
    }
}

/// The filter dict as the core reads it: JSON data, where the time ranges (``created``,
/// ``started``, ``ended``: ``{"from": datetime, "to": datetime}``) hold tz-aware datetimes.
fn filter_json(filter: Option<&Bound<'_, PyAny>>) -> convert::Conv<Value> {
    let Some(f) = filter.filter(|f| !f.is_none()) else { return Ok(Value::Object(Default::default())) };
    let Ok(dict) = f.cast::<PyDict>() else { return convert::map(f, "filter").map(|_| Value::Null) };
    let mut out = serde_json::Map::new();
    for (k, v) in dict.iter() {
        let key = convert::text(&k, "filter")?;
        let path = format!("filter.{key}");
        let value = match (key.as_str(), v.cast::<PyDict>()) {
            ("created" | "started" | "ended", Ok(range)) => {
                let mut r = serde_json::Map::new();
                for (rk, rv) in range.iter() {
                    let rkey = convert::text(&rk, &path)?;
                    let at = convert::opt_timestamp(Some(&rv), &format!("{path}.{rkey}"))?;
                    r.insert(rkey, at.map_or(Value::Null, |t| Value::String(t.to_rfc3339())));
                }
                Value::Object(r)
            }
            _ => convert::json(&v, &path)?,
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

#[pymethods]
impl PyEngine {
    /// Releases matching ``filter`` (a dict: ``status`` (a list), ``kind``, ``group``,
    /// ``scope``, ``labels`` (all must match), ``process_id``, ``process_version``, ``created`` /
    /// ``started`` / ``ended`` (``{"from": datetime, "to": datetime}``, from inclusive, to
    /// exclusive), ``name_contains`` (case-sensitive), ``include_archived``) in ``sort`` order
    /// (``created_at``, ``name`` or ``updated_at``, then ``asc`` or ``desc``), ``page_size`` (1 to
    /// 1000) at a time. Pass a page's ``next`` as ``cursor`` for the following page (same sort).
    #[pyo3(signature = (filter = None, sort = None, cursor = None, page_size = None),
        text_signature = "($self, filter=None, sort='created_at desc', cursor=None, page_size=50)")]
    fn search(
        &self,
        py: Python<'_>,
        filter: Option<&Bound<'_, PyAny>>,
        sort: Option<&Bound<'_, PyAny>>,
        cursor: Option<&Bound<'_, PyAny>>,
        page_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySearchPage> {
        args!(py;
            filter = filter_json(filter),
            sort = convert::opt_parsed::<SearchSort>(sort, "sort"),
            cursor = convert::opt_text(cursor, "cursor"),
            page_size = convert::count(page_size, "page_size", 50),
        );
        let page = self.call(py, move |e| {
            let filter = SearchFilter::from_json(filter)?;
            e.search(&filter, sort.unwrap_or_default(), cursor.as_deref(), page_size as usize)
        })?;
        let releases = page.releases.into_iter().map(|s| Py::new(py, PyRelease::new(s))).collect::<PyResult<_>>()?;
        Ok(PySearchPage { releases, next: page.next })
    }
}
