//! The rules applied to each path an expression reads (see the parent module).

use super::*;

/// Functions that need a string receiver.
const STRING_FUNCTIONS: [&str; 11] = [
    "startsWith",
    "endsWith",
    "contains",
    "matches",
    "lowerAscii",
    "upperAscii",
    "trim",
    "split",
    "replace",
    "substring",
    "charAt",
];

impl<'a> Checker<'a> {
    /// The problem with reading `r` at `site`, if any.
    pub(super) fn reference(&self, r: &PathRef, site: &Site<'a>) -> Verdict<'a> {
        let unknown = |m: String| Verdict::Problem(codes::UNKNOWN_REFERENCE, m);
        match r.root.as_str() {
            "inputs" => {
                let Some(name) = seg(r, 0) else { return Verdict::Fine };
                let inputs = &self.process.inputs;
                if inputs.contains_key(name) {
                    return Verdict::Fine;
                }
                let declared = list_or_none(inputs.keys().map(String::as_str), inputs.len());
                unknown(format!("`inputs.{name}` is not a declared input (declared: {declared})"))
            }
            "vars" => {
                let Some(name) = seg(r, 0) else { return Verdict::Fine };
                if site.scope.contains(&self.process.variables, name) {
                    return Verdict::Fine;
                }
                unknown(format!("variable `{name}` is not in scope here{}", self.where_defined(name)))
            }
            "release" => match seg(r, 0) {
                Some(f) if !RELEASE_FIELDS.contains(&f) => {
                    unknown(format!("`release` has no field `{f}` (it has {})", RELEASE_FIELDS.join(", ")))
                }
                _ => Verdict::Fine,
            },
            "group" => match seg(r, 0) {
                Some(f) if !GROUP_FIELDS.contains(&f) => {
                    unknown(format!("`group` has no field `{f}` (it has {})", GROUP_FIELDS.join(", ")))
                }
                _ => Verdict::Fine,
            },
            "phases" => self.phase_path(r, site),
            "activities" => self.activities_path(r, site),
            other if CEL_NAMES.contains(&other) => Verdict::Fine,
            other => unknown(format!("`{other}` is not defined; expressions can use {ROOTS}")),
        }
    }

    /// Where a variable that is not in scope is defined, for the message.
    fn where_defined(&self, name: &str) -> String {
        if self.process.variables.contains_key(name) {
            return format!(" (the global variable `{name}` is defined after the one using it)");
        }
        match self.index.var_home.get(name) {
            Some(VarHome::Phase(phase)) => format!(" (it is a variable of phase `{}`)", phase.id),
            Some(VarHome::Activity(a, phase)) => {
                format!(" (it is a variable of activity `{}` in phase `{}`)", a.id, phase.id)
            }
            None => String::new(),
        }
    }

    fn phase_path(&self, r: &PathRef, site: &Site<'a>) -> Verdict<'a> {
        let Some(id) = seg(r, 0) else { return Verdict::Fine };
        let Some(at) = self.index.phase(id) else {
            return Verdict::Problem(codes::UNKNOWN_REFERENCE, format!("there is no phase `{id}`"));
        };
        let phase = at.phase;
        match seg(r, 1) {
            Some("status") => Verdict::Fine,
            Some("outputs") => {
                if let Some(name) = seg(r, 2) {
                    if !phase.outputs.contains_key(name) {
                        let declared = list_or_none(phase.outputs.keys().map(String::as_str), phase.outputs.len());
                        return Verdict::Problem(
                            codes::UNDECLARED_OUTPUT,
                            format!("phase `{id}` declares no output `{name}` (its `outputs:` are {declared})"),
                        );
                    }
                }
                self.phase_downstream(at, site)
            }
            Some("activities") => {
                let Some(aid) = seg(r, 2) else { return Verdict::Fine };
                let Some(a) = self.index.activity(phase, aid) else {
                    return Verdict::Problem(codes::UNKNOWN_REFERENCE, format!("phase `{id}` has no activity `{aid}`"));
                };
                self.activity_output(at, a, r, 3, site)
            }
            Some(other) => Verdict::Problem(
                codes::UNKNOWN_REFERENCE,
                format!("`phases.{id}` has no field `{other}` (it has outputs, activities and status)"),
            ),
            None => self.phase_downstream(at, site),
        }
    }

    fn activities_path(&self, r: &PathRef, site: &Site<'a>) -> Verdict<'a> {
        let Some(at) = site.phase else {
            return Verdict::Problem(
                codes::UNKNOWN_REFERENCE,
                "`activities` only exists inside a phase; use `phases.<id>.activities.<id>`".to_string(),
            );
        };
        let Some(aid) = seg(r, 0) else { return Verdict::Fine };
        let Some(a) = self.index.activity(at.phase, aid) else {
            let elsewhere = self
                .index
                .activity_home
                .get(aid)
                .map(|p| format!("; it is an activity of phase `{}`: write `phases.{}.activities.{aid}`", p.id, p.id))
                .unwrap_or_default();
            return Verdict::Problem(
                codes::UNKNOWN_REFERENCE,
                format!("phase `{}` has no activity `{aid}`{elsewhere}", at.phase.id),
            );
        };
        self.activity_output(at, a, r, 1, site)
    }

    /// Checks `<activity>.outputs.<name>` at segment `i` of `r` (`status` is always readable).
    fn activity_output(
        &self,
        phase: PhaseAt<'a>,
        (j, a): (usize, &'a Activity),
        r: &PathRef,
        i: usize,
        site: &Site<'a>,
    ) -> Verdict<'a> {
        match seg(r, i) {
            Some("status") => Verdict::Fine,
            Some("outputs") | None => {
                if let Some(name) = seg(r, i + 1) {
                    let declared = match a.kind {
                        ActivityKind::Approval => name == "approvers",
                        ActivityKind::Subprocess => true,
                        _ => self.index.outputs.contains(&(addr(a), name)),
                    };
                    if !declared {
                        let (how, listed) = match a.kind {
                            ActivityKind::Manual => (
                                "its `fields` are",
                                list_or_none(a.fields.iter().map(|f| f.name.as_str()), a.fields.len()),
                            ),
                            ActivityKind::Approval => ("an approval gives", "`approvers`".to_string()),
                            _ => (
                                "its `outputs` are",
                                list_or_none(a.outputs.iter().map(String::as_str), a.outputs.len()),
                            ),
                        };
                        return Verdict::Problem(
                            codes::UNDECLARED_OUTPUT,
                            format!(
                                "activity `{}` of phase `{}` produces no output `{name}` ({how} {listed})",
                                a.id, phase.phase.id
                            ),
                        );
                    }
                }
                self.activity_downstream(phase, (j, a), site)
            }
            Some(other) => Verdict::Problem(
                codes::UNKNOWN_REFERENCE,
                format!("activity `{}` has no field `{other}` (it has outputs and status)", a.id),
            ),
        }
    }

    /// Whether the outputs of phase `q` exist when `site` is evaluated.
    fn phase_downstream(&self, q: PhaseAt<'a>, site: &Site<'a>) -> Verdict<'a> {
        let not = |m: String| Verdict::Problem(codes::NOT_DOWNSTREAM, m);
        let q_id = q.phase.id.as_str();
        let Some(p) = site.phase else {
            return not(format!(
                "this is computed when the release starts, before phase `{q_id}` has outputs; compute it in a \
                 variable of a phase that depends on `{q_id}`"
            ));
        };
        if p.phase.id == q_id {
            return not(match site.when {
                When::PhaseEnd => format!("phase `{q_id}` cannot read its own outputs in its `outputs:`"),
                _ => format!(
                    "the outputs of phase `{q_id}` are set when it ends; inside it, read its activities' outputs"
                ),
            });
        }
        let q_rollback = self.index.rollback_first.contains_key(q_id);
        if p.rollback && !q_rollback {
            return Verdict::Fine;
        }
        let missing = Missing::Phase { reader: p.phase, reader_rollback: p.rollback, producer: q.phase };
        // The producer as a phase of the reader's own list (dependencies stay within a list).
        let same_list = match (p.rollback, q.rollback) {
            (false, false) | (true, true) => Some(q.index),
            (true, false) => self.index.rollback_first.get(q_id).copied(),
            (false, true) => None,
        };
        match same_list {
            Some(to) => Verdict::Unless(Question::Phases { rollback: p.rollback, from: p.index, to }, missing),
            None => not(self.missing_message(missing)),
        }
    }

    /// Whether the outputs of activity `b` of phase `q` exist when `site` is evaluated.
    fn activity_downstream(&self, q: PhaseAt<'a>, (bj, b): (usize, &'a Activity), site: &Site<'a>) -> Verdict<'a> {
        let Some(p) = site.phase else { return self.phase_downstream(q, site) };
        if p.phase.id != q.phase.id {
            return self.phase_downstream(q, site);
        }
        let not = |m: String| Verdict::Problem(codes::NOT_DOWNSTREAM, m);
        match (site.when, site.activity) {
            (When::PhaseEnd, _) => Verdict::Fine,
            (When::Activity, Some((_, a))) if a.id == b.id => {
                not(format!("activity `{}` cannot read its own outputs", a.id))
            }
            (When::ActivityEnd, Some((_, a))) if a.id == b.id => Verdict::Fine,
            (When::Activity | When::ActivityEnd, Some((aj, a))) => Verdict::Unless(
                Question::Activities { phase: p.phase, from: aj, to: bj },
                Missing::Activity { reader: a, producer: b },
            ),
            _ => not(format!(
                "phase `{}` has not run activity `{}` when it starts; read its outputs in an activity that depends \
                 on it, or in the phase's `outputs:`",
                p.phase.id, b.id
            )),
        }
    }

    /// The kind of value `r` is known to hold.
    fn kind_of(&self, r: &PathRef, site: &Site<'a>) -> Option<Kind> {
        let out_kind = |phase: &Phase, aid: &str, rest: usize| -> Option<Kind> {
            let (_, a) = self.index.activity(phase, aid)?;
            if r.segments.len() != rest + 2 || seg(r, rest)? != "outputs" {
                return (r.segments.len() == rest + 1 && seg(r, rest)? == "status").then_some(Kind::String);
            }
            let name = seg(r, rest + 1)?;
            match a.kind {
                ActivityKind::Manual => self.index.fields.get(&(addr(a), name)).map(|ty| kind_of_type(*ty)),
                ActivityKind::Approval if name == "approvers" => Some(Kind::List),
                _ => None,
            }
        };
        match (r.root.as_str(), r.segments.len()) {
            ("inputs", 1) => self.process.inputs.get(seg(r, 0)?).map(|d| kind_of_type(d.ty)),
            ("release", 1) => {
                Some(if matches!(seg(r, 0)?, "version" | "attempt") { Kind::Number } else { Kind::String })
            }
            ("phases", 2) if seg(r, 1)? == "status" => Some(Kind::String),
            ("phases", _) if seg(r, 1)? == "activities" => out_kind(self.index.phase(seg(r, 0)?)?.phase, seg(r, 2)?, 3),
            ("activities", _) => out_kind(site.phase?.phase, seg(r, 0)?, 1),
            _ => None,
        }
    }

    /// A type problem with how `r` is used, if its kind is known.
    pub(super) fn type_problem(&self, r: &PathRef, site: &Site<'a>) -> Option<String> {
        let kind = self.kind_of(r, site)?;
        if let Some(f) = &r.call {
            let fits = match f.as_str() {
                f if STRING_FUNCTIONS.contains(&f) => kind == Kind::String,
                "join" => kind == Kind::List,
                "size" => matches!(kind, Kind::String | Kind::List | Kind::Map),
                _ => true,
            };
            if !fits {
                return Some(format!("`{}` is a {}; `{f}` cannot be applied to it", r.display(), kind.as_str()));
            }
        }
        match r.compared_with {
            Some(other) if other != Kind::Null && other != kind => {
                Some(format!("`{}` is a {} but is compared with a {}", r.display(), kind.as_str(), other.as_str()))
            }
            _ => None,
        }
    }

    /// The kind `expr` gives, when it is known without running it.
    pub(super) fn static_kind(&self, expr: &IdedExpr, site: &Site<'a>) -> Option<Kind> {
        if let Some(k) = refs::literal_kind(expr) {
            return Some(k);
        }
        if let Some((root, segments)) = refs::as_path(expr) {
            let r = PathRef { root: root.to_string(), segments, call: None, compared_with: None };
            return self.kind_of(&r, site);
        }
        let Expr::Call(c) = &expr.expr else { return None };
        match c.func_name.as_str() {
            operators::SUBSTRACT | operators::MULTIPLY | operators::DIVIDE | operators::MODULO | operators::NEGATE => {
                Some(Kind::Number)
            }
            operators::ADD => c.args.iter().find_map(|a| self.static_kind(a, site)),
            operators::CONDITIONAL if c.args.len() == 3 => {
                let (a, b) = (self.static_kind(&c.args[1], site)?, self.static_kind(&c.args[2], site)?);
                (a == b).then_some(a)
            }
            "lowerAscii" | "upperAscii" | "trim" | "replace" | "join" | "substring" | "string" => Some(Kind::String),
            "split" => Some(Kind::List),
            "size" | "int" | "double" | "uint" => Some(Kind::Number),
            _ => None,
        }
    }
}
