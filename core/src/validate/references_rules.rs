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
    /// The problem with reading `r` at `site`, if any: `(code, message)`.
    pub(super) fn reference(&self, r: &PathRef, site: &Site<'a>) -> Option<(&'static str, String)> {
        let unknown = |m: String| Some((codes::UNKNOWN_REFERENCE, m));
        match r.root.as_str() {
            "inputs" => {
                let name = seg(r, 0)?;
                if self.process.inputs.contains_key(name) {
                    return None;
                }
                let declared: Vec<&str> = self.process.inputs.keys().map(String::as_str).collect();
                unknown(format!("`inputs.{name}` is not a declared input (declared: {})", list_or_none(&declared)))
            }
            "vars" => {
                let name = seg(r, 0)?;
                if site.vars.contains(name) {
                    return None;
                }
                unknown(format!("variable `{name}` is not in scope here{}", self.where_defined(name)))
            }
            "release" => match seg(r, 0) {
                Some(f) if !RELEASE_FIELDS.contains(&f) => {
                    unknown(format!("`release` has no field `{f}` (it has {})", RELEASE_FIELDS.join(", ")))
                }
                _ => None,
            },
            "group" => match seg(r, 0) {
                Some(f) if !GROUP_FIELDS.contains(&f) => {
                    unknown(format!("`group` has no field `{f}` (it has {})", GROUP_FIELDS.join(", ")))
                }
                _ => None,
            },
            "phases" => self.phase_path(r, site),
            "activities" => self.activities_path(r, site),
            other if CEL_NAMES.contains(&other) => None,
            other => unknown(format!("`{other}` is not defined; expressions can use {ROOTS}")),
        }
    }

    /// Where a variable that is not in scope is defined, for the message.
    fn where_defined(&self, name: &str) -> String {
        if self.process.variables.contains_key(name) {
            return format!(" (the global variable `{name}` is defined after the one using it)");
        }
        for phase in self.process.phases.iter().chain(&self.process.rollback) {
            if phase.variables.contains_key(name) {
                return format!(" (it is a variable of phase `{}`)", phase.id);
            }
            if let Some(a) = phase.activities.iter().find(|a| a.variables.contains_key(name)) {
                return format!(" (it is a variable of activity `{}` in phase `{}`)", a.id, phase.id);
            }
        }
        String::new()
    }

    fn phase_path(&self, r: &PathRef, site: &Site<'a>) -> Option<(&'static str, String)> {
        let id = seg(r, 0)?;
        let Some(phase) = self.process.phase(id) else {
            return Some((codes::UNKNOWN_REFERENCE, format!("there is no phase `{id}`")));
        };
        match seg(r, 1) {
            Some("status") => None,
            Some("outputs") => {
                if let Some(name) = seg(r, 2) {
                    if !phase.outputs.contains_key(name) {
                        let declared: Vec<&str> = phase.outputs.keys().map(String::as_str).collect();
                        return Some((
                            codes::UNDECLARED_OUTPUT,
                            format!(
                                "phase `{id}` declares no output `{name}` (its `outputs:` are {})",
                                list_or_none(&declared)
                            ),
                        ));
                    }
                }
                self.phase_downstream(phase, site)
            }
            Some("activities") => {
                let aid = seg(r, 2)?;
                let Some(a) = phase.activity(aid) else {
                    return Some((codes::UNKNOWN_REFERENCE, format!("phase `{id}` has no activity `{aid}`")));
                };
                self.activity_output(phase, a, r, 3, site)
            }
            Some(other) => Some((
                codes::UNKNOWN_REFERENCE,
                format!("`phases.{id}` has no field `{other}` (it has outputs, activities and status)"),
            )),
            None => self.phase_downstream(phase, site),
        }
    }

    fn activities_path(&self, r: &PathRef, site: &Site<'a>) -> Option<(&'static str, String)> {
        let Some((phase, _)) = site.phase else {
            return Some((
                codes::UNKNOWN_REFERENCE,
                "`activities` only exists inside a phase; use `phases.<id>.activities.<id>`".to_string(),
            ));
        };
        let aid = seg(r, 0)?;
        let Some(a) = phase.activity(aid) else {
            let elsewhere = self
                .process
                .phases
                .iter()
                .chain(&self.process.rollback)
                .find(|p| p.activity(aid).is_some())
                .map(|p| format!("; it is an activity of phase `{}`: write `phases.{}.activities.{aid}`", p.id, p.id))
                .unwrap_or_default();
            return Some((
                codes::UNKNOWN_REFERENCE,
                format!("phase `{}` has no activity `{aid}`{elsewhere}", phase.id),
            ));
        };
        self.activity_output(phase, a, r, 1, site)
    }

    /// Checks `<activity>.outputs.<name>` at segment `i` of `r` (`status` is always readable).
    fn activity_output(
        &self,
        phase: &'a Phase,
        a: &'a Activity,
        r: &PathRef,
        i: usize,
        site: &Site<'a>,
    ) -> Option<(&'static str, String)> {
        match seg(r, i) {
            Some("status") => None,
            Some("outputs") | None => {
                if let (Some(name), Some(declared)) = (seg(r, i + 1), activity_outputs(a)) {
                    if !declared.contains(&name) {
                        let how = match a.kind {
                            ActivityKind::Manual => "its `fields` are",
                            ActivityKind::Approval => "an approval gives",
                            _ => "its `outputs` are",
                        };
                        return Some((
                            codes::UNDECLARED_OUTPUT,
                            format!(
                                "activity `{}` of phase `{}` produces no output `{name}` ({how} {})",
                                a.id,
                                phase.id,
                                list_or_none(&declared)
                            ),
                        ));
                    }
                }
                self.activity_downstream(phase, a, site)
            }
            Some(other) => Some((
                codes::UNKNOWN_REFERENCE,
                format!("activity `{}` has no field `{other}` (it has outputs and status)", a.id),
            )),
        }
    }

    /// Whether the outputs of phase `q` exist when `site` is evaluated.
    fn phase_downstream(&self, q: &'a Phase, site: &Site<'a>) -> Option<(&'static str, String)> {
        let not = |m: String| Some((codes::NOT_DOWNSTREAM, m));
        let Some((p, rollback)) = site.phase else {
            return not(format!(
                "this is computed when the release starts, before phase `{}` has outputs; compute it in a \
                 variable of a phase that depends on `{}`",
                q.id, q.id
            ));
        };
        if p.id == q.id {
            return not(match site.when {
                When::PhaseEnd => format!("phase `{}` cannot read its own outputs in its `outputs:`", q.id),
                _ => format!(
                    "the outputs of phase `{}` are set when it ends; inside it, read its activities' outputs",
                    q.id
                ),
            });
        }
        let q_rollback = self.process.rollback.iter().any(|r| r.id == q.id);
        if rollback && !q_rollback {
            return None;
        }
        if self.upstream.get(p.id.as_str()).is_some_and(|u| u.contains(q.id.as_str())) {
            return None;
        }
        if q_rollback && !rollback {
            return not(format!(
                "phase `{}` is a rollback phase; regular phase `{}` cannot read its outputs",
                q.id, p.id
            ));
        }
        not(format!(
            "phase `{}` reads outputs of phase `{}`, which does not run before it: add `depends_on: [{}]` to \
             phase `{}`",
            p.id, q.id, q.id, p.id
        ))
    }

    /// Whether the outputs of activity `b` of phase `q` exist when `site` is evaluated.
    fn activity_downstream(&self, q: &'a Phase, b: &'a Activity, site: &Site<'a>) -> Option<(&'static str, String)> {
        let Some((p, _)) = site.phase else { return self.phase_downstream(q, site) };
        if p.id != q.id {
            return self.phase_downstream(q, site);
        }
        let not = |m: String| Some((codes::NOT_DOWNSTREAM, m));
        match (site.when, site.activity) {
            (When::PhaseEnd, _) => None,
            (When::Activity, Some(a)) if a.id == b.id => {
                not(format!("activity `{}` cannot read its own outputs", a.id))
            }
            (When::Activity, Some(a)) => {
                let nodes: Vec<(&str, &[String])> =
                    p.activities.iter().map(|x| (x.id.as_str(), x.depends_on.as_slice())).collect();
                if closure(&nodes).get(a.id.as_str()).is_some_and(|u| u.contains(b.id.as_str())) {
                    return None;
                }
                not(format!(
                    "activity `{}` reads outputs of activity `{}`, which does not run before it: add \
                     `depends_on: [{}]` to activity `{}`",
                    a.id, b.id, b.id, a.id
                ))
            }
            _ => not(format!(
                "phase `{}` has not run activity `{}` when it starts; read its outputs in an activity that depends \
                 on it, or in the phase's `outputs:`",
                p.id, b.id
            )),
        }
    }

    /// The kind of value `r` is known to hold.
    fn kind_of(&self, r: &PathRef, site: &Site<'a>) -> Option<Kind> {
        let out_kind = |phase: &Phase, aid: &str, rest: usize| -> Option<Kind> {
            let a = phase.activity(aid)?;
            if r.segments.len() != rest + 2 || seg(r, rest)? != "outputs" {
                return (r.segments.len() == rest + 1 && seg(r, rest)? == "status").then_some(Kind::String);
            }
            let name = seg(r, rest + 1)?;
            match a.kind {
                ActivityKind::Manual => a.fields.iter().find(|f| f.name == name).map(|f| kind_of_type(f.ty)),
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
            ("phases", _) if seg(r, 1)? == "activities" => out_kind(self.process.phase(seg(r, 0)?)?, seg(r, 2)?, 3),
            ("activities", _) => out_kind(site.phase?.0, seg(r, 0)?, 1),
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

    /// If `expr` (an `if`) is known not to give a boolean: what gives what.
    pub(super) fn non_boolean(&self, expr: &IdedExpr, site: &Site<'a>) -> Option<(String, Kind)> {
        if let Expr::Call(c) = &expr.expr {
            let logical = [operators::LOGICAL_AND, operators::LOGICAL_OR, operators::LOGICAL_NOT];
            if logical.contains(&c.func_name.as_str()) {
                return c.args.iter().find_map(|a| self.non_boolean(a, site));
            }
        }
        match self.static_kind(expr, site) {
            Some(k) if k != Kind::Bool => Some(("the expression".to_string(), k)),
            _ => None,
        }
    }

    /// The kind `expr` gives, when it is known without running it.
    fn static_kind(&self, expr: &IdedExpr, site: &Site<'a>) -> Option<Kind> {
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
