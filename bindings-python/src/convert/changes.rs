//! The keyword arguments of `update_release` that say what changes, as a core
//! [`ReleaseChanges`] (every bad one listed at once).

use super::{Conv, Refused};
use pyo3::prelude::*;
use trainyard::release::{ReleaseChanges, ReleaseKind};

/// The change arguments of `update_release` (each optional; `None` = unchanged).
pub struct ChangeArgs<'a, 'py> {
    pub name: Option<&'a Bound<'py, PyAny>>,
    pub inputs: Option<&'a Bound<'py, PyAny>>,
    pub owners: Option<&'a Bound<'py, PyAny>>,
    pub release_managers: Option<&'a Bound<'py, PyAny>>,
    pub stakeholders: Option<&'a Bound<'py, PyAny>>,
    pub process: Option<&'a Bound<'py, PyAny>>,
    pub process_version: Option<&'a Bound<'py, PyAny>>,
    pub kind: Option<&'a Bound<'py, PyAny>>,
    pub scope: Option<&'a Bound<'py, PyAny>>,
    pub start: Option<&'a Bound<'py, PyAny>>,
    pub end: Option<&'a Bound<'py, PyAny>>,
}

/// Converts every change argument, or refuses with the problems of all the bad ones.
pub fn release_changes(a: &ChangeArgs<'_, '_>) -> Conv<ReleaseChanges> {
    match (
        super::opt_text(a.name, "name"),
        super::json::opt_map(a.inputs, "inputs"),
        super::opt_text_list(a.owners, "owners"),
        super::opt_text_list(a.release_managers, "release_managers"),
        super::opt_text_list(a.stakeholders, "stakeholders"),
        super::opt_text(a.process, "process"),
        super::opt_version(a.process_version, "process_version"),
        super::opt_parsed::<ReleaseKind>(a.kind, "kind"),
        super::opt_text(a.scope, "scope"),
        super::opt_timestamp(a.start, "start"),
        super::opt_timestamp(a.end, "end"),
    ) {
        (
            Ok(name),
            Ok(inputs),
            Ok(owners),
            Ok(release_managers),
            Ok(stakeholders),
            Ok(process),
            Ok(process_version),
            Ok(kind),
            Ok(scope),
            Ok(start),
            Ok(end),
        ) => Ok(ReleaseChanges {
            name,
            inputs,
            owners,
            release_managers,
            stakeholders,
            process,
            version: process_version,
            kind,
            scope,
            start,
            end,
            metadata: Default::default(),
        }),
        (name, inputs, owners, managers, stakeholders, process, version, kind, scope, start, end) => {
            Err(Refused::merge([
                name.err(),
                inputs.err(),
                owners.err(),
                managers.err(),
                stakeholders.err(),
                process.err(),
                version.err(),
                kind.err(),
                scope.err(),
                start.err(),
                end.err(),
            ]))
        }
    }
}
