//! What an expression refers to: the member paths of its syntax tree.
//!
//! `Program::references()` only names top-level variables; static checking needs whole paths
//! (`phases.build.activities.compile.outputs.artifact`), how each is used (a method called on it,
//! a literal it is compared with) and a rough idea of the kind of value a sub-expression gives.

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr, LiteralValue, operators};
use std::collections::HashSet;

/// One step of a member path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// An index that is not a string literal (`[0]`, `[inputs.env]`): checks stop here.
    Dynamic,
}

impl Segment {
    /// The field name, if the segment is a fixed name.
    pub fn name(&self) -> Option<&str> {
        match self {
            Segment::Field(f) => Some(f),
            Segment::Dynamic => None,
        }
    }
}

/// The kind of value a sub-expression is known to give, when it is known without running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` / `false`.
    Bool,
    /// An integer or decimal number.
    Number,
    /// A string.
    String,
    /// A list.
    List,
    /// A map (object).
    Map,
    /// `null`.
    Null,
    /// Bytes.
    Bytes,
}

impl Kind {
    /// The name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::List => "list",
            Kind::Map => "map",
            Kind::Null => "null",
            Kind::Bytes => "bytes",
        }
    }
}

/// A path an expression reads, rooted at a variable that is not bound by a comprehension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRef {
    /// The variable (`inputs`, `vars`, `phases`, …).
    pub root: String,
    /// The members after the root.
    pub segments: Vec<Segment>,
    /// A function called on the whole path: `x.startsWith(…)` or `size(x)` give `startsWith`/`size`.
    pub call: Option<String>,
    /// The kind of a literal the whole path is compared with (`==`, `!=`, `<`, …).
    pub compared_with: Option<Kind>,
}

impl PathRef {
    /// The path written out (`phases.build.outputs.n`).
    pub fn display(&self) -> String {
        let mut s = self.root.clone();
        for seg in &self.segments {
            match seg {
                Segment::Field(f) if is_ident(f) => {
                    s.push('.');
                    s.push_str(f);
                }
                Segment::Field(f) => s.push_str(&format!("['{f}']")),
                Segment::Dynamic => s.push_str("[…]"),
            }
        }
        s
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// If `expr` is a member path (`a.b['c']`), its root and segments.
pub fn as_path(expr: &IdedExpr) -> Option<(&str, Vec<Segment>)> {
    let mut segments = Vec::new();
    let mut e = expr;
    loop {
        match &e.expr {
            Expr::Ident(name) => {
                segments.reverse();
                return Some((name, segments));
            }
            Expr::Select(s) => {
                segments.push(Segment::Field(s.field.clone()));
                e = &s.operand;
            }
            Expr::Call(c)
                if (c.func_name == operators::INDEX || c.func_name == operators::OPT_INDEX) && c.args.len() == 2 =>
            {
                segments.push(match &c.args[1].expr {
                    Expr::Literal(LiteralValue::String(s)) => Segment::Field(s.inner().to_string()),
                    _ => Segment::Dynamic,
                });
                e = &c.args[0];
            }
            Expr::Call(c) if c.func_name == operators::OPT_SELECT && c.args.len() == 2 => {
                segments.push(match &c.args[1].expr {
                    Expr::Literal(LiteralValue::String(s)) => Segment::Field(s.inner().to_string()),
                    _ => Segment::Dynamic,
                });
                e = &c.args[0];
            }
            _ => return None,
        }
    }
}

/// The kind of a literal expression (list and map literals included).
pub fn literal_kind(expr: &IdedExpr) -> Option<Kind> {
    match &expr.expr {
        Expr::Literal(l) => Some(match l {
            LiteralValue::Boolean(_) => Kind::Bool,
            LiteralValue::Bytes(_) => Kind::Bytes,
            LiteralValue::Double(_) | LiteralValue::Int(_) | LiteralValue::UInt(_) => Kind::Number,
            LiteralValue::Null => Kind::Null,
            LiteralValue::String(_) => Kind::String,
        }),
        Expr::List(_) => Some(Kind::List),
        Expr::Map(_) => Some(Kind::Map),
        _ => None,
    }
}

const COMPARISONS: [&str; 6] = [
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
];

/// Every path `expr` reads from a free variable, in source order. Paths through a dynamic index
/// also yield the paths used inside the index.
pub fn references(expr: &IdedExpr) -> Vec<PathRef> {
    let mut out = Vec::new();
    walk(expr, &mut HashSet::new(), &mut out);
    out
}

fn push_path(expr: &IdedExpr, bound: &HashSet<String>, out: &mut Vec<PathRef>) -> bool {
    let Some((root, segments)) = as_path(expr) else { return false };
    if !bound.contains(root) {
        out.push(PathRef { root: root.to_string(), segments, call: None, compared_with: None });
    }
    // Dynamic indexes may hold paths of their own.
    let mut e = expr;
    loop {
        match &e.expr {
            Expr::Select(s) => e = &s.operand,
            Expr::Call(c) if c.args.len() == 2 => {
                if !matches!(c.args[1].expr, Expr::Literal(_)) {
                    walk(&c.args[1], &mut bound.clone(), out);
                }
                e = &c.args[0];
            }
            _ => return true,
        }
    }
}

fn walk(expr: &IdedExpr, bound: &mut HashSet<String>, out: &mut Vec<PathRef>) {
    if push_path(expr, bound, out) {
        return;
    }
    match &expr.expr {
        Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) => {}
        Expr::Select(s) => walk(&s.operand, bound, out),
        Expr::Call(c) => {
            // A method on a path, or `size(path)`: note the call on that path.
            let on_path = match (&c.target, c.args.first()) {
                (Some(t), _) => Some(t.as_ref()),
                (None, Some(a)) if c.func_name == "size" && c.args.len() == 1 => Some(a),
                _ => None,
            };
            if let Some(t) = on_path {
                let before = out.len();
                if push_path(t, bound, out) {
                    if let Some(r) = out.get_mut(before) {
                        r.call = Some(c.func_name.clone());
                    }
                } else {
                    walk(t, bound, out);
                }
                let skip = usize::from(c.target.is_none());
                c.args.iter().skip(skip).for_each(|a| walk(a, bound, out));
                return;
            }
            if COMPARISONS.contains(&c.func_name.as_str()) && c.args.len() == 2 {
                for (this, other) in [(&c.args[0], &c.args[1]), (&c.args[1], &c.args[0])] {
                    let before = out.len();
                    if push_path(this, bound, out) {
                        if let Some(r) = out.get_mut(before) {
                            r.compared_with = literal_kind(other);
                        }
                    } else {
                        walk(this, bound, out);
                    }
                }
                return;
            }
            c.args.iter().for_each(|a| walk(a, bound, out));
        }
        Expr::List(l) => l.elements.iter().for_each(|e| walk(e, bound, out)),
        Expr::Map(m) => m.entries.iter().for_each(|e| walk_entry(&e.expr, bound, out)),
        Expr::Struct(s) => s.entries.iter().for_each(|e| walk_entry(&e.expr, bound, out)),
        Expr::Comprehension(c) => {
            walk(&c.iter_range, bound, out);
            walk(&c.accu_init, bound, out);
            let mut inner = bound.clone();
            inner.insert(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                inner.insert(v.clone());
            }
            inner.insert(c.accu_var.clone());
            walk(&c.loop_cond, &mut inner, out);
            walk(&c.loop_step, &mut inner, out);
            walk(&c.result, &mut inner, out);
        }
    }
}

fn walk_entry(entry: &EntryExpr, bound: &mut HashSet<String>, out: &mut Vec<PathRef>) {
    match entry {
        EntryExpr::StructField(f) => walk(&f.value, bound, out),
        EntryExpr::MapEntry(m) => {
            walk(&m.key, bound, out);
            walk(&m.value, bound, out);
        }
    }
}

/// A short text for `expr` in messages: a literal or a member path as written, else `None`.
pub fn operand_text(expr: &IdedExpr) -> Option<String> {
    if let Some((root, segments)) = as_path(expr) {
        return Some(PathRef { root: root.to_string(), segments, call: None, compared_with: None }.display());
    }
    match &expr.expr {
        Expr::Literal(l) => Some(match l {
            LiteralValue::Boolean(b) => b.inner().to_string(),
            LiteralValue::Int(i) => i.inner().to_string(),
            LiteralValue::UInt(u) => format!("{}u", u.inner()),
            LiteralValue::Double(d) => format!("{:?}", d.inner()),
            LiteralValue::Null => "null".to_string(),
            LiteralValue::String(s) => format!("'{}'", s.inner()),
            LiteralValue::Bytes(_) => "b'…'".to_string(),
        }),
        Expr::List(l) if l.elements.is_empty() => Some("[]".to_string()),
        Expr::Map(m) if m.entries.is_empty() => Some("{}".to_string()),
        _ => None,
    }
}

/// An operand and its kind for messages: "`32` is a number", or "is a number" without a text.
fn described(expr: &IdedExpr, kind: Option<Kind>) -> String {
    let kind = kind.map_or("of a type known only when it runs".to_string(), |k| format!("a {}", k.as_str()));
    match operand_text(expr) {
        Some(text) => format!("`{text}` is {kind}"),
        None => format!("is {kind}"),
    }
}

/// Why the condition `source` (an `if:`, parsed as `expr`) cannot give true or false, when the
/// kinds `kind_of` knows without running it show it; `None` when it may. The message names what
/// is wrong: a boolean operator (`&&`, `||`, `!`) with a non-boolean operand, naming the operator
/// and the kind of each operand (for `false && 32`: `` `&&` needs boolean operands, but its right
/// operand `32` is a number (its left operand `false` is a boolean) ``), or the whole expression's
/// kind (`` `inputs.name` is a string (not a boolean) ``).
///
/// `kind_of` gives the kind of a sub-expression when it is known (validation knows the types of
/// inputs, `size(…)` is a number, …); it is called on the operands only.
pub fn non_boolean_condition(
    expr: &IdedExpr,
    source: &str,
    kind_of: &dyn Fn(&IdedExpr) -> Option<Kind>,
) -> Option<String> {
    let why = non_boolean(expr, kind_of)?;
    Some(format!("`if` must give true or false in `{source}`: {why}"))
}

fn non_boolean(expr: &IdedExpr, kind_of: &dyn Fn(&IdedExpr) -> Option<Kind>) -> Option<String> {
    if let Expr::Call(c) = &expr.expr {
        let op = match c.func_name.as_str() {
            operators::LOGICAL_AND => Some("&&"),
            operators::LOGICAL_OR => Some("||"),
            operators::LOGICAL_NOT => Some("!"),
            _ => None,
        };
        if let Some(op) = op {
            // An operand that is itself a boolean operator: its own problem, if any, comes first.
            for a in &c.args {
                if let Some(inner) = non_boolean_operator(a, kind_of) {
                    return Some(inner);
                }
            }
            let kinds: Vec<Option<Kind>> = c.args.iter().map(|a| static_kind(a, kind_of)).collect();
            let bad = kinds.iter().position(|k| k.is_some_and(|k| k != Kind::Bool))?;
            if let [operand] = c.args.as_slice() {
                return Some(format!("`!` needs a boolean operand, but its operand {}", described(operand, kinds[0])));
            }
            let other = usize::from(bad == 0);
            let (side, other_side) = if bad == 0 { ("left", "right") } else { ("right", "left") };
            return Some(format!(
                "`{op}` needs boolean operands, but its {side} operand {} (its {other_side} operand {})",
                described(&c.args[bad], kinds[bad]),
                described(&c.args[other], kinds[other]),
            ));
        }
    }
    match kind_of(expr) {
        Some(k) if k != Kind::Bool => Some(format!("{} (not a boolean)", described(expr, Some(k)))),
        _ => None,
    }
}

/// Whether `expr` is a call of `&&`, `||` or `!`.
fn is_boolean_operator(expr: &IdedExpr) -> bool {
    matches!(&expr.expr, Expr::Call(c)
        if [operators::LOGICAL_AND, operators::LOGICAL_OR, operators::LOGICAL_NOT].contains(&c.func_name.as_str()))
}

/// The problem of `expr` when it is itself a boolean operator with a non-boolean operand.
fn non_boolean_operator(expr: &IdedExpr, kind_of: &dyn Fn(&IdedExpr) -> Option<Kind>) -> Option<String> {
    if is_boolean_operator(expr) { non_boolean(expr, kind_of) } else { None }
}

/// The kind of `expr`: a boolean operator gives a boolean, anything else is what `kind_of` says.
fn static_kind(expr: &IdedExpr, kind_of: &dyn Fn(&IdedExpr) -> Option<Kind>) -> Option<Kind> {
    if is_boolean_operator(expr) { Some(Kind::Bool) } else { kind_of(expr) }
}

/// The roots an expression reads (cheap: no paths kept).
pub fn roots(expr: &IdedExpr) -> HashSet<String> {
    references(expr).into_iter().map(|r| r.root).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(source: &str) -> Vec<PathRef> {
        references(&crate::expr::compile::compile(source).unwrap().ast)
    }

    fn paths(source: &str) -> Vec<String> {
        refs(source).iter().map(PathRef::display).collect()
    }

    #[test]
    fn member_and_index_paths() {
        assert_eq!(
            paths("phases['branch-cut'].activities.cut.outputs.commit + inputs.v"),
            vec!["phases['branch-cut'].activities.cut.outputs.commit", "inputs.v"]
        );
        assert_eq!(paths("phases.branch-cut.outputs.x"), vec!["phases['branch-cut'].outputs.x"]);
        assert_eq!(paths("inputs.services[0]"), vec!["inputs.services[…]"]);
        assert_eq!(paths("phases[inputs.p].outputs.x"), vec!["phases[…].outputs.x", "inputs.p"]);
    }

    #[test]
    fn comprehension_variables_are_not_references() {
        assert_eq!(paths("inputs.services.all(s, s.startsWith(vars.prefix))"), vec!["inputs.services", "vars.prefix"]);
    }

    #[test]
    fn calls_and_comparisons_are_noted() {
        let r = refs("inputs.count.startsWith('1') && size(inputs.name) > 0 && inputs.n == 'x'");
        assert_eq!(r[0].call.as_deref(), Some("startsWith"));
        assert_eq!(r[1].call.as_deref(), Some("size"));
        assert_eq!(r[2].compared_with, Some(Kind::String));
    }

    fn condition_problem(source: &str) -> Option<String> {
        let ast = crate::expr::compile::compile(source).unwrap().ast;
        let kind_of = |e: &IdedExpr| {
            literal_kind(e).or_else(|| {
                as_path(e).and_then(|(root, segs)| match (root, segs.first().and_then(Segment::name)) {
                    ("inputs", Some("name")) => Some(Kind::String),
                    ("inputs", Some("count")) => Some(Kind::Number),
                    _ => None,
                })
            })
        };
        non_boolean_condition(&ast, source, &kind_of)
    }

    #[test]
    fn a_boolean_operator_with_a_non_boolean_operand_names_the_operator_and_both_kinds() {
        let m = condition_problem("false && 32").unwrap();
        assert_eq!(
            m,
            "`if` must give true or false in `false && 32`: `&&` needs boolean operands, but its right \
             operand `32` is a number (its left operand `false` is a boolean)"
        );
        let m = condition_problem("inputs.name || vars.ok").unwrap();
        assert!(
            m.contains("`||` needs boolean operands") && m.contains("left operand `inputs.name` is a string"),
            "{m}"
        );
        assert!(m.contains("right operand `vars.ok` is of a type known only when it runs"), "{m}");
        let m = condition_problem("!inputs.count").unwrap();
        assert!(m.contains("`!` needs a boolean operand, but its operand `inputs.count` is a number"), "{m}");
        let m = condition_problem("inputs.count > 0 && (true || 'x')").unwrap();
        assert!(m.contains("`||` needs boolean operands, but its right operand `'x'` is a string"), "{m}");
        let m = condition_problem("inputs.name").unwrap();
        assert!(m.contains("`inputs.name` is a string (not a boolean)"), "{m}");
        assert_eq!(condition_problem("inputs.count > 0 && !vars.x"), None);
        assert_eq!(condition_problem("vars.a || vars.b"), None);
    }

    #[test]
    fn has_macro_paths_and_roots() {
        assert_eq!(paths("has(phases.build.outputs.n)"), vec!["phases.build.outputs.n"]);
        let roots = roots(&crate::expr::compile::compile("timestamp(release.start) + duration('1h')").unwrap().ast);
        assert_eq!(roots.into_iter().collect::<Vec<_>>(), vec!["release".to_string()]);
    }
}
