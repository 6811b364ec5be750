//! Static reference checking: what every expression reads must exist where it is evaluated.
//!
//! For each `if`, each `${...}` in a string value (names, variables, `with`, phase `outputs`,
//! approvers, `until`), the member paths of the expression's syntax tree are checked against the
//! definition:
//!
//! * `inputs.<name>` must be a declared input (`unknown_reference`);
//! * `vars.<name>` must be in scope: global variables defined before it (for a global variable),
//!   then the phase's, then the activity's (`unknown_reference`);
//! * `phases.<id>`, `phases.<id>.activities.<id>` and `activities.<id>` must exist
//!   (`unknown_reference`), and an output read must be declared by its producer: `outputs:` of an
//!   automated activity, `fields` of a manual one, `approvers` of an approval, the keys of a phase's
//!   `outputs:` (`undeclared_output`);
//! * the producer must have ended before the expression is evaluated (`not_downstream`): a phase
//!   reads the outputs of phases it depends on (transitively), an activity those of sibling
//!   activities it depends on; the message names the missing `depends_on` edge. Global variables are
//!   computed when the release starts and cannot read outputs. Rollback phases may read the outputs
//!   of regular phases (they run after them; a producer that never ran gives a runtime error);
//! * where the kind of a value is known (typed inputs, manual fields, `release.*`), a string
//!   function on a number, a comparison of a number with a string, or an `if` that cannot give a
//!   boolean is a `type_mismatch`.
//!
//! `status` (`phases.<id>.status`, `activities.<id>.status`) may be read anywhere.

use super::{codes, path};
use crate::Problem;
use crate::expr::refs::{self, Kind, PathRef, Segment};
use crate::model::{Activity, ActivityKind, InputType, Phase, Process};
use cel::IdedExpr;
use cel::common::ast::{Expr, operators};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// When an expression is evaluated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    /// When the release starts (global variables, the process name).
    Release,
    /// When the phase starts (its `if`, variables and name).
    PhaseStart,
    /// When the phase ends (its `outputs:`).
    PhaseEnd,
    /// When the activity starts (its `if`, variables, `with`, `until`, approvers, name).
    Activity,
}

/// Where an expression sits: its problem path, its phase and activity, and the variables in scope.
struct Site<'a> {
    at: String,
    when: When,
    phase: Option<(&'a Phase, bool)>,
    activity: Option<&'a Activity>,
    vars: HashSet<&'a str>,
}

/// Checks every expression of `process`; appends problems to `out`.
pub fn check(process: &Process, out: &mut Vec<Problem>) {
    let checker = Checker::new(process);
    let mut problems = Vec::new();
    checker.process(&mut problems);
    let mut seen = HashSet::new();
    out.extend(problems.into_iter().filter(|p| seen.insert((p.path.clone(), p.code.clone(), p.message.clone()))));
}

struct Checker<'a> {
    process: &'a Process,
    /// Transitive upstream phases of each phase (within its own list).
    upstream: HashMap<&'a str, HashSet<&'a str>>,
}

/// Transitive closure of `depends_on` (unknown ids and cycles are tolerated: reported elsewhere).
fn closure<'a>(nodes: &[(&'a str, &'a [String])]) -> HashMap<&'a str, HashSet<&'a str>> {
    let deps: HashMap<&str, &[String]> = nodes.iter().copied().collect();
    nodes
        .iter()
        .map(|(id, _)| {
            let mut seen: HashSet<&'a str> = HashSet::new();
            let mut stack: Vec<&'a str> = vec![id];
            while let Some(n) = stack.pop() {
                for d in deps.get(n).copied().unwrap_or_default() {
                    if let Some((key, _)) = deps.get_key_value(d.as_str()) {
                        if seen.insert(key) {
                            stack.push(key);
                        }
                    }
                }
            }
            (*id, seen)
        })
        .collect()
}

impl<'a> Checker<'a> {
    fn new(process: &'a Process) -> Self {
        let mut upstream = HashMap::new();
        for list in [&process.phases, &process.rollback] {
            let nodes: Vec<(&str, &[String])> = list.iter().map(|p| (p.id.as_str(), p.depends_on.as_slice())).collect();
            upstream.extend(closure(&nodes));
        }
        Checker { process, upstream }
    }

    fn process(&self, out: &mut Vec<Problem>) {
        let p = self.process;
        let globals: Vec<&str> = p.variables.keys().map(String::as_str).collect();
        let site = |at: String, vars: &[&'a str]| Site {
            at,
            when: When::Release,
            phase: None,
            activity: None,
            vars: vars.iter().copied().collect(),
        };
        if let Some(name) = &p.name {
            self.text(name, &site("name".into(), &globals), out);
        }
        for (i, (name, value)) in p.variables.iter().enumerate() {
            self.value(value, &site(path::field("variables", name), &globals[..i]), out);
        }
        for (list, phases) in [("phases", &p.phases), ("rollback", &p.rollback)] {
            for (i, phase) in phases.iter().enumerate() {
                self.phase(phase, list == "rollback", &path::index(list, i), &globals, out);
            }
        }
    }

    fn phase(&self, phase: &'a Phase, rollback: bool, at: &str, globals: &[&'a str], out: &mut Vec<Problem>) {
        let locals: Vec<&str> = phase.variables.keys().map(String::as_str).collect();
        let site = |at: String, when: When, locals: &[&'a str]| Site {
            at,
            when,
            phase: Some((phase, rollback)),
            activity: None,
            vars: globals.iter().chain(locals).copied().collect(),
        };
        if let Some(name) = &phase.name {
            self.text(name, &site(path::field(at, "name"), When::PhaseStart, &locals), out);
        }
        if let Some(cond) = &phase.condition {
            self.condition(cond, &site(path::field(at, "if"), When::PhaseStart, &locals), out);
        }
        let vat = path::field(at, "variables");
        for (j, (name, value)) in phase.variables.iter().enumerate() {
            self.value(value, &site(path::field(&vat, name), When::PhaseStart, &locals[..j]), out);
        }
        let oat = path::field(at, "outputs");
        for (name, value) in &phase.outputs {
            self.value(value, &site(path::field(&oat, name), When::PhaseEnd, &locals), out);
        }
        let phase_vars: Vec<&str> = globals.iter().chain(&locals).copied().collect();
        for (j, a) in phase.activities.iter().enumerate() {
            let aat = path::index(&path::field(at, "activities"), j);
            self.activity(phase, rollback, a, &aat, &phase_vars, out);
        }
    }

    fn activity(
        &self,
        phase: &'a Phase,
        rollback: bool,
        a: &'a Activity,
        at: &str,
        outer: &[&'a str],
        out: &mut Vec<Problem>,
    ) {
        let locals: Vec<&str> = a.variables.keys().map(String::as_str).collect();
        let site = |at: String, locals: &[&'a str]| Site {
            at,
            when: When::Activity,
            phase: Some((phase, rollback)),
            activity: Some(a),
            vars: outer.iter().chain(locals).copied().collect(),
        };
        if let Some(name) = &a.name {
            self.text(name, &site(path::field(at, "name"), &locals), out);
        }
        if let Some(cond) = &a.condition {
            self.condition(cond, &site(path::field(at, "if"), &locals), out);
        }
        let vat = path::field(at, "variables");
        for (k, (name, value)) in a.variables.iter().enumerate() {
            self.value(value, &site(path::field(&vat, name), &locals[..k]), out);
        }
        let wat = path::field(at, "with");
        for (key, value) in &a.with {
            self.value(value, &site(path::field(&wat, key), &locals), out);
        }
        for (list, approvers) in [("approvers", &a.approvers), ("escalate_to", &a.escalate_to)] {
            for (i, ap) in approvers.iter().enumerate() {
                let apat = path::index(&path::field(at, list), i);
                for (field, text) in [("user", &ap.user), ("group", &ap.group)] {
                    if let Some(t) = text {
                        self.text(t, &site(path::field(&apat, field), &locals), out);
                    }
                }
            }
        }
        if let Some(until) = &a.until {
            self.text(until, &site(path::field(at, "until"), &locals), out);
        }
    }

    /// Checks every `${...}` of every string inside `value`.
    fn value(&self, value: &Value, site: &Site<'a>, out: &mut Vec<Problem>) {
        match value {
            Value::String(s) => self.text(s, site, out),
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.value(v, &Site { at: path::index(&site.at, i), ..site.clone_scope() }, out);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.value(v, &Site { at: path::field(&site.at, k), ..site.clone_scope() }, out);
                }
            }
            _ => {}
        }
    }

    fn text(&self, text: &str, site: &Site<'a>, out: &mut Vec<Problem>) {
        if !crate::expr::template::has_interpolation(text) {
            return;
        }
        // Unparsable templates and expressions are reported by the syntax checks.
        let Ok(segments) = crate::expr::template::parse_template(text) else { return };
        for seg in segments {
            if let crate::expr::template::Segment::Expr { source, .. } = seg {
                if let Ok(compiled) = crate::expr::compile::cached(&source) {
                    self.expression(&source, &compiled.ast, site, out);
                }
            }
        }
    }

    fn condition(&self, source: &str, site: &Site<'a>, out: &mut Vec<Problem>) {
        let Ok(compiled) = crate::expr::compile::cached(source) else { return };
        self.expression(source, &compiled.ast, site, out);
        if let Some((what, kind)) = self.non_boolean(&compiled.ast, site) {
            out.push(Problem::new(
                &site.at,
                codes::TYPE_MISMATCH,
                format!("`if` must give true or false, but {what} gives a {} in `{source}`", kind.as_str()),
            ));
        }
    }

    fn expression(&self, source: &str, ast: &IdedExpr, site: &Site<'a>, out: &mut Vec<Problem>) {
        for r in refs::references(ast) {
            if let Some((code, message)) = self.reference(&r, site) {
                out.push(Problem::new(&site.at, code, format!("in `{source}`: {message}")));
            } else if let Some(message) = self.type_problem(&r, site) {
                out.push(Problem::new(&site.at, codes::TYPE_MISMATCH, format!("in `{source}`: {message}")));
            }
        }
    }
}

impl<'a> Site<'a> {
    fn clone_scope(&self) -> Site<'a> {
        Site {
            at: self.at.clone(),
            when: self.when,
            phase: self.phase,
            activity: self.activity,
            vars: self.vars.clone(),
        }
    }
}

/// The fields of `release` and `group`.
const RELEASE_FIELDS: [&str; 6] = ["id", "name", "kind", "version", "start", "attempt"];
const GROUP_FIELDS: [&str; 2] = ["name", "occurrence"];
/// Names CEL itself defines (type names).
const CEL_NAMES: [&str; 11] =
    ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"];
/// What an expression can use, for messages.
const ROOTS: &str = "inputs, vars, phases, activities, release and group";

fn seg(r: &PathRef, i: usize) -> Option<&str> {
    r.segments.get(i).and_then(Segment::name)
}

fn kind_of_type(ty: InputType) -> Kind {
    match ty {
        InputType::Number => Kind::Number,
        InputType::Boolean => Kind::Bool,
        InputType::List => Kind::List,
        InputType::Object => Kind::Map,
        _ => Kind::String,
    }
}

/// The declared outputs of an activity, or `None` when they cannot be known (subprocesses).
fn activity_outputs(a: &Activity) -> Option<Vec<&str>> {
    match a.kind {
        ActivityKind::Approval => Some(vec!["approvers"]),
        ActivityKind::Subprocess => None,
        _ => Some(a.output_names()),
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    }
}

#[path = "references_rules.rs"]
mod rules;

#[cfg(test)]
#[path = "references_tests.rs"]
mod tests;
