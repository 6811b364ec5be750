//! Static reference checking: what every expression reads must exist where it is evaluated.
//!
//! For each `if`, each `${...}` in a string value (names, variables, `with`, phase `outputs`,
//! approvers, `until`, `records`; an activity's `records` may read its own outputs), the member
//! paths of the expression's syntax tree are checked against the definition:
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
//!
//! Cost: near-linear in the size of the definition. Ids, outputs, fields and variables are looked
//! up in indexes built once; paths inside values are kept in an arena and written out only for
//! problems. Whether a producer runs before a reader is not decided on the spot: each such
//! question is set aside with its place in the list of problems, and all of them are answered
//! together at the end ([`super::reach`]: O((n + e) · ⌈t / 64⌉) per dependency graph of `n`
//! nodes and `e` edges, with `t` the distinct producers asked about). It stops looking once more
//! than [`MAX_PROBLEMS`] problems are certain (the list is cut there anyway).

use super::reach::Digraph;
use super::{codes, hints, path};
use crate::Problem;
use crate::expr::refs::{self, Kind, PathRef, Segment};
use crate::model::limits::MAX_PROBLEMS;
use crate::model::{Activity, ActivityKind, InputType, Phase, Process};
use cel::IdedExpr;
use cel::common::ast::{Expr, operators};
use indexmap::IndexMap;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

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
    /// When the activity succeeds (its `records`: its own outputs are set).
    ActivityEnd,
}

/// A phase with the list it is in and its position there.
#[derive(Clone, Copy)]
struct PhaseAt<'a> {
    phase: &'a Phase,
    rollback: bool,
    index: usize,
}

/// The variables in scope: the first `n` of each level (global, phase, activity).
#[derive(Clone, Copy)]
struct Scope<'a> {
    globals: usize,
    phase: Option<(&'a IndexMap<String, Value>, usize)>,
    activity: Option<(&'a IndexMap<String, Value>, usize)>,
}

/// Where an expression sits: its path (in the arena), its phase and activity, the variables in scope.
struct Site<'a> {
    at: u32,
    when: When,
    phase: Option<PhaseAt<'a>>,
    activity: Option<(usize, &'a Activity)>,
    scope: Scope<'a>,
}

/// Checks every expression of `process`; appends problems to `out`.
pub fn check(process: &Process, out: &mut Vec<Problem>) {
    let checker = Checker::new(process);
    let mut problems = Vec::new();
    checker.process(&mut problems);
    let problems = checker.resolve(problems);
    let mut seen = HashSet::new();
    out.extend(problems.into_iter().filter(|p| seen.insert((p.path.clone(), p.code.clone(), p.message.clone()))));
}

/// Where a variable is first defined, for the message about one read out of its scope.
#[derive(Clone, Copy)]
enum VarHome<'a> {
    Phase(&'a Phase),
    Activity(&'a Activity, &'a Phase),
}

/// Lookups built once over the definition.
struct Index<'a> {
    /// The first phase with each id (regular phases before rollback ones, as [`Process::phase`]).
    phases: HashMap<&'a str, PhaseAt<'a>>,
    /// The position of the first rollback phase with each id.
    rollback_first: HashMap<&'a str, usize>,
    /// The first activity with each id in each phase (by the phase's address).
    activities: HashMap<(usize, &'a str), (usize, &'a Activity)>,
    /// The first phase with an activity of each id.
    activity_home: HashMap<&'a str, &'a Phase>,
    /// Declared outputs (automated: `outputs`, manual: `fields`) by the activity's address.
    outputs: HashSet<(usize, &'a str)>,
    /// The type of the first manual field of each name, by the activity's address.
    fields: HashMap<(usize, &'a str), InputType>,
    /// Where each variable of a phase or activity is first defined.
    var_home: HashMap<&'a str, VarHome<'a>>,
}

fn addr<T>(x: &T) -> usize {
    std::ptr::from_ref(x) as usize
}

impl<'a> Index<'a> {
    fn new(process: &'a Process) -> Self {
        let mut index = Index {
            phases: HashMap::new(),
            rollback_first: HashMap::new(),
            activities: HashMap::new(),
            activity_home: HashMap::new(),
            outputs: HashSet::new(),
            fields: HashMap::new(),
            var_home: HashMap::new(),
        };
        for (rollback, list) in [(false, &process.phases), (true, &process.rollback)] {
            for (i, phase) in list.iter().enumerate() {
                index.phases.entry(&phase.id).or_insert(PhaseAt { phase, rollback, index: i });
                if rollback {
                    index.rollback_first.entry(&phase.id).or_insert(i);
                }
                for name in phase.variables.keys() {
                    index.var_home.entry(name).or_insert(VarHome::Phase(phase));
                }
                for (j, a) in phase.activities.iter().enumerate() {
                    index.activities.entry((addr(phase), &a.id)).or_insert((j, a));
                    index.activity_home.entry(&a.id).or_insert(phase);
                    index.outputs.extend(a.output_names().into_iter().map(|o| (addr(a), o)));
                    for f in &a.fields {
                        index.fields.entry((addr(a), &f.name)).or_insert(f.ty);
                    }
                    for name in a.variables.keys() {
                        index.var_home.entry(name).or_insert(VarHome::Activity(a, phase));
                    }
                }
            }
        }
        index
    }

    fn phase(&self, id: &str) -> Option<PhaseAt<'a>> {
        self.phases.get(id).copied()
    }

    fn activity(&self, phase: &Phase, id: &str) -> Option<(usize, &'a Activity)> {
        self.activities.get(&(addr(phase), id)).copied()
    }
}

/// One step of a path in the arena: the site's own path, or a key or index below its parent.
enum Step<'a> {
    Site(String),
    Key(u32, &'a str),
    Index(u32, usize),
}

/// A question "does `to` run before `from`?" in one dependency graph.
#[derive(Clone, Copy)]
enum Question<'a> {
    /// Phases of one list (regular or rollback), by position.
    Phases { rollback: bool, from: usize, to: usize },
    /// Activities of one phase, by position.
    Activities { phase: &'a Phase, from: usize, to: usize },
}

/// What to report when the answer is no.
#[derive(Clone, Copy)]
enum Missing<'a> {
    /// Phase `reader` reads outputs of phase `producer`.
    Phase { reader: &'a Phase, reader_rollback: bool, producer: &'a Phase },
    /// Activity `reader` reads outputs of its sibling `producer`.
    Activity { reader: &'a Activity, producer: &'a Activity },
}

/// A read of outputs whose problem (if any) depends on a [`Question`].
struct Pending<'a> {
    question: Question<'a>,
    missing: Missing<'a>,
    /// The expression, for the message.
    source: Rc<str>,
    /// The type problem to report instead when the producer does run before.
    otherwise: Option<String>,
    /// The path (in the arena).
    at: u32,
    /// How many certain problems came before it.
    position: usize,
}

/// The outcome of checking one read.
enum Verdict<'a> {
    Fine,
    Problem(&'static str, String),
    /// A `not_downstream` problem unless the answer to the question is yes.
    Unless(Question<'a>, Missing<'a>),
}

struct Checker<'a> {
    process: &'a Process,
    index: Index<'a>,
    paths: RefCell<Vec<Step<'a>>>,
    pending: RefCell<Vec<Pending<'a>>>,
}

impl<'a> Checker<'a> {
    fn new(process: &'a Process) -> Self {
        Checker {
            process,
            index: Index::new(process),
            paths: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
        }
    }

    fn step(&self, step: Step<'a>) -> u32 {
        let mut paths = self.paths.borrow_mut();
        paths.push(step);
        (paths.len() - 1) as u32
    }

    fn render(&self, at: u32) -> String {
        let paths = self.paths.borrow();
        let mut chain = Vec::new();
        let mut i = at;
        let root = loop {
            match &paths[i as usize] {
                Step::Site(s) => break s.clone(),
                step @ (Step::Key(parent, _) | Step::Index(parent, _)) => {
                    chain.push(step);
                    i = *parent;
                }
            }
        };
        chain.iter().rev().fold(root, |p, step| match step {
            Step::Key(_, k) => path::field(&p, k),
            Step::Index(_, n) => path::index(&p, *n),
            Step::Site(_) => p,
        })
    }

    fn site(
        &self,
        at: String,
        when: When,
        phase: Option<PhaseAt<'a>>,
        activity: Option<(usize, &'a Activity)>,
        scope: Scope<'a>,
    ) -> Site<'a> {
        Site { at: self.step(Step::Site(at)), when, phase, activity, scope }
    }

    fn process(&self, out: &mut Vec<Problem>) {
        let p = self.process;
        let globals = |n: usize| Scope { globals: n, phase: None, activity: None };
        if let Some(name) = &p.name {
            self.text(name, &self.site("name".into(), When::Release, None, None, globals(p.variables.len())), out);
        }
        for (i, (name, value)) in p.variables.iter().enumerate() {
            let site = self.site(path::field("variables", name), When::Release, None, None, globals(i));
            self.value(value, &site, site.at, out);
        }
        for (rollback, list, phases) in [(false, "phases", &p.phases), (true, "rollback", &p.rollback)] {
            for (i, phase) in phases.iter().enumerate() {
                self.phase(PhaseAt { phase, rollback, index: i }, &path::index(list, i), out);
            }
        }
    }

    fn phase(&self, at_phase: PhaseAt<'a>, at: &str, out: &mut Vec<Problem>) {
        let phase = at_phase.phase;
        let globals = self.process.variables.len();
        let scope = |n: usize| Scope { globals, phase: Some((&phase.variables, n)), activity: None };
        let all = phase.variables.len();
        let site = |at: String, when: When, scope: Scope<'a>| self.site(at, when, Some(at_phase), None, scope);
        if let Some(name) = &phase.name {
            self.text(name, &site(path::field(at, "name"), When::PhaseStart, scope(all)), out);
        }
        if let Some(cond) = &phase.condition {
            self.condition(cond, &site(path::field(at, "if"), When::PhaseStart, scope(all)), out);
        }
        let vat = path::field(at, "variables");
        for (j, (name, value)) in phase.variables.iter().enumerate() {
            let s = site(path::field(&vat, name), When::PhaseStart, scope(j));
            self.value(value, &s, s.at, out);
        }
        let oat = path::field(at, "outputs");
        for (name, value) in &phase.outputs {
            let s = site(path::field(&oat, name), When::PhaseEnd, scope(all));
            self.value(value, &s, s.at, out);
        }
        for (k, u) in phase.locks.iter().enumerate() {
            let s = site(lock_name_at(at, k, u), When::PhaseStart, scope(all));
            self.text(u.name(), &s, out);
        }
        for (j, a) in phase.activities.iter().enumerate() {
            let aat = path::index(&path::field(at, "activities"), j);
            self.activity(at_phase, (j, a), &aat, out);
        }
    }

    fn activity(&self, phase: PhaseAt<'a>, (j, a): (usize, &'a Activity), at: &str, out: &mut Vec<Problem>) {
        let outer = Scope {
            globals: self.process.variables.len(),
            phase: Some((&phase.phase.variables, phase.phase.variables.len())),
            activity: None,
        };
        let scope = |n: usize| Scope { activity: Some((&a.variables, n)), ..outer };
        let all = a.variables.len();
        let site = |at: String, scope: Scope<'a>| self.site(at, When::Activity, Some(phase), Some((j, a)), scope);
        if let Some(name) = &a.name {
            self.text(name, &site(path::field(at, "name"), scope(all)), out);
        }
        if let Some(cond) = &a.condition {
            self.condition(cond, &site(path::field(at, "if"), scope(all)), out);
        }
        let vat = path::field(at, "variables");
        for (k, (name, value)) in a.variables.iter().enumerate() {
            let s = site(path::field(&vat, name), scope(k));
            self.value(value, &s, s.at, out);
        }
        let wat = path::field(at, "with");
        for (key, value) in &a.with {
            let s = site(path::field(&wat, key), scope(all));
            self.value(value, &s, s.at, out);
        }
        for (list, approvers) in [("approvers", &a.approvers), ("escalate_to", &a.escalate_to)] {
            for (i, ap) in approvers.iter().enumerate() {
                let apat = path::index(&path::field(at, list), i);
                for (field, text) in [("user", &ap.user), ("group", &ap.group)] {
                    if let Some(t) = text {
                        self.text(t, &site(path::field(&apat, field), scope(all)), out);
                    }
                }
            }
        }
        if let Some(until) = a.until.as_ref().and_then(|u| u.as_time()) {
            self.text(until, &site(path::field(at, "until"), scope(all)), out);
        }
        for (i, t) in a.targets.iter().enumerate() {
            let tat = path::index(&path::field(at, "targets"), i);
            for (field, text) in [("release", &t.release), ("occurrence", &t.occurrence)] {
                if let Some(text) = text {
                    self.text(text, &site(path::field(&tat, field), scope(all)), out);
                }
            }
        }
        for (k, u) in a.locks.iter().enumerate() {
            self.text(u.name(), &site(lock_name_at(at, k, u), scope(all)), out);
        }
        if let Some(crate::model::WaitDuration::Expression(text)) = &a.duration {
            self.text(text, &site(path::field(at, "duration"), scope(all)), out);
        }
        if let Some(records) = &a.records {
            let rat = path::field(at, "records");
            for (field, text) in records.fields() {
                let s = self.site(path::field(&rat, field), When::ActivityEnd, Some(phase), Some((j, a)), scope(all));
                self.text(text, &s, out);
            }
        }
    }

    /// Checks every `${...}` of every string inside `value` (at `at` in the arena).
    fn value(&self, value: &'a Value, site: &Site<'a>, at: u32, out: &mut Vec<Problem>) {
        if out.len() > MAX_PROBLEMS {
            return;
        }
        match value {
            Value::String(s) => self.text_at(s, site, at, out),
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let child = self.step(Step::Index(at, i));
                    self.value(v, site, child, out);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    let child = self.step(Step::Key(at, k));
                    self.value(v, site, child, out);
                }
            }
            _ => {}
        }
    }

    fn text(&self, text: &str, site: &Site<'a>, out: &mut Vec<Problem>) {
        self.text_at(text, site, site.at, out)
    }

    fn text_at(&self, text: &str, site: &Site<'a>, at: u32, out: &mut Vec<Problem>) {
        if out.len() > MAX_PROBLEMS || !crate::expr::template::has_interpolation(text) {
            return;
        }
        // Unparsable templates and expressions are reported by the syntax checks.
        let Ok(segments) = crate::expr::template::parse_template(text) else { return };
        for seg in segments {
            if let crate::expr::template::Segment::Expr { source, .. } = seg {
                if let Ok(compiled) = crate::expr::compile::cached(&source) {
                    self.expression(&source, &compiled.ast, site, at, out);
                }
            }
        }
    }

    fn condition(&self, source: &str, site: &Site<'a>, out: &mut Vec<Problem>) {
        if out.len() > MAX_PROBLEMS {
            return;
        }
        let Ok(compiled) = crate::expr::compile::cached(source) else { return };
        self.expression(source, &compiled.ast, site, site.at, out);
        if let Some(message) = refs::non_boolean_condition(&compiled.ast, source, &|e| self.static_kind(e, site)) {
            out.push(Problem::new(self.render(site.at), codes::TYPE_MISMATCH, message));
        }
    }

    fn expression(&self, source: &str, ast: &IdedExpr, site: &Site<'a>, at: u32, out: &mut Vec<Problem>) {
        let mut shared: Option<Rc<str>> = None;
        for r in refs::references(ast) {
            match self.reference(&r, site) {
                Verdict::Problem(code, message) => {
                    out.push(Problem::new(self.render(at), code, format!("in `{source}`: {message}")))
                }
                Verdict::Fine => {
                    if let Some(message) = self.type_problem(&r, site) {
                        out.push(Problem::new(
                            self.render(at),
                            codes::TYPE_MISMATCH,
                            format!("in `{source}`: {message}"),
                        ));
                    }
                }
                Verdict::Unless(question, missing) => {
                    let source = shared.get_or_insert_with(|| Rc::from(source)).clone();
                    let otherwise = self.type_problem(&r, site);
                    self.pending.borrow_mut().push(Pending {
                        question,
                        missing,
                        source,
                        otherwise,
                        at,
                        position: out.len(),
                    });
                }
            }
        }
    }

    /// Answers the questions set aside and puts their problems where they belong among `certain`.
    fn resolve(&self, certain: Vec<Problem>) -> Vec<Problem> {
        let pending = self.pending.take();
        let answers = self.answer(&pending);
        let mut out = Vec::with_capacity(certain.len());
        let mut late = pending.iter().zip(answers).peekable();
        for (i, p) in certain.into_iter().enumerate() {
            while let Some((q, runs_before)) = late.next_if(|(q, _)| q.position <= i) {
                out.extend(self.late_problem(q, runs_before));
            }
            out.push(p);
        }
        for (q, runs_before) in late {
            out.extend(self.late_problem(q, runs_before));
        }
        out
    }

    fn late_problem(&self, q: &Pending<'a>, runs_before: bool) -> Option<Problem> {
        let at = self.render(q.at);
        if runs_before {
            return q
                .otherwise
                .as_ref()
                .map(|m| Problem::new(at, codes::TYPE_MISMATCH, format!("in `{}`: {m}", q.source)));
        }
        let message = self.missing_message(q.missing);
        Some(Problem::new(at, codes::NOT_DOWNSTREAM, format!("in `{}`: {message}", q.source)))
    }

    /// The `not_downstream` message of a read whose producer does not run before it.
    fn missing_message(&self, missing: Missing<'a>) -> String {
        match missing {
            Missing::Phase { reader, reader_rollback, producer } => {
                if self.index.rollback_first.contains_key(producer.id.as_str()) && !reader_rollback {
                    format!(
                        "phase `{}` is a rollback phase; regular phase `{}` cannot read its outputs",
                        producer.id, reader.id
                    )
                } else {
                    format!(
                        "phase `{}` reads outputs of phase `{}`, which does not run before it: add `depends_on: \
                         [{}]` to phase `{}`",
                        reader.id, producer.id, producer.id, reader.id
                    )
                }
            }
            Missing::Activity { reader, producer } => format!(
                "activity `{}` reads outputs of activity `{}`, which does not run before it: add `depends_on: \
                 [{}]` to activity `{}`",
                reader.id, producer.id, producer.id, reader.id
            ),
        }
    }

    /// The answers to the questions, each dependency graph built and searched once.
    fn answer(&self, pending: &[Pending<'a>]) -> Vec<bool> {
        let mut by_graph: HashMap<(usize, bool), Vec<usize>> = HashMap::new();
        for (i, p) in pending.iter().enumerate() {
            let key = match p.question {
                Question::Phases { rollback, .. } => (0, rollback),
                Question::Activities { phase, .. } => (addr(phase), false),
            };
            by_graph.entry(key).or_default().push(i);
        }
        let mut answers = vec![false; pending.len()];
        for asked in by_graph.into_values() {
            let graph = match pending[asked[0]].question {
                Question::Phases { rollback, .. } => {
                    let list = if rollback { &self.process.rollback } else { &self.process.phases };
                    dependency_graph(list.iter().map(|p| (p.id.as_str(), p.depends_on.as_slice())))
                }
                Question::Activities { phase, .. } => {
                    dependency_graph(phase.activities.iter().map(|a| (a.id.as_str(), a.depends_on.as_slice())))
                }
            };
            let queries: Vec<(usize, usize)> = asked
                .iter()
                .map(|&i| match pending[i].question {
                    Question::Phases { from, to, .. } | Question::Activities { from, to, .. } => (from, to),
                })
                .collect();
            for (&i, answer) in asked.iter().zip(graph.reachable(&graph.components(), &queries)) {
                answers[i] = answer;
            }
        }
        answers
    }
}

/// The graph of `depends_on` among siblings (a dependency on an id names its first sibling; unknown
/// ids are left out: they are reported elsewhere).
fn dependency_graph<'x>(nodes: impl Iterator<Item = (&'x str, &'x [String])> + Clone) -> Digraph {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let deps: Vec<&[String]> = nodes
        .enumerate()
        .map(|(i, (id, deps))| {
            first.entry(id).or_insert(i);
            deps
        })
        .collect();
    Digraph::new(deps.len(), |i| deps[i].iter().filter_map(|d| first.get(d.as_str()).copied()).collect::<Vec<_>>())
}

impl Scope<'_> {
    fn contains(&self, globals: &IndexMap<String, Value>, name: &str) -> bool {
        let within = |map: &IndexMap<String, Value>, n: usize| map.get_index_of(name).is_some_and(|i| i < n);
        within(globals, self.globals)
            || self.phase.is_some_and(|(m, n)| within(m, n))
            || self.activity.is_some_and(|(m, n)| within(m, n))
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

/// Up to [`hints::MAX_LISTED`] names in backticks, or `none`.
fn list_or_none<'n>(names: impl Iterator<Item = &'n str>, total: usize) -> String {
    if total == 0 { "none".to_string() } else { hints::bounded_list(names, total, true) }
}

#[path = "references_rules.rs"]
mod rules;

#[cfg(test)]
#[path = "references_tests.rs"]
mod tests;

/// Where the name of lock `k` of the node at `at` is written (`locks[k]`, or `locks[k].name`).
fn lock_name_at(at: &str, k: usize, u: &crate::model::LockUse) -> String {
    let uat = path::index(&path::field(at, "locks"), k);
    match u {
        crate::model::LockUse::Name(_) => uat,
        crate::model::LockUse::Spec(_) => path::field(&uat, "name"),
    }
}
