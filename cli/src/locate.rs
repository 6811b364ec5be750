//! Where a problem's path (`phases[1].activities[0].depends_on[2]`) is in a definition's text:
//! the document is read once more as a tree of nodes that know their line and column, and the
//! path is walked down it (as far as it goes: a field that is missing is reported where its
//! mapping is).

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML (or JSON) node with the positions of its children.
enum Node {
    Map(IndexMap<String, Spanned<Node>>),
    Seq(Vec<Spanned<Node>>),
    Scalar,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Node, A::Error> {
                let mut out = IndexMap::new();
                while let Some(k) = m.next_key::<String>()? {
                    let v = m.next_value::<Spanned<Node>>()?;
                    out.insert(k, v);
                }
                Ok(Node::Map(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = s.next_element::<Spanned<Node>>()? {
                    out.push(n);
                }
                Ok(Node::Seq(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
        }
        d.deserialize_any(V)
    }
}

/// One step of a path.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "-") {
        let (key, rest) = part.find('[').map_or((part, ""), |i| (&part[..i], &part[i..]));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        for ix in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(n) = ix.trim_end_matches(']').parse() {
                out.push(Step::Index(n));
            }
        }
    }
    out
}

/// The line and column (1-based) of `path` in `text`, or of the deepest part of it found.
pub(crate) fn locate(text: &str, path: &str) -> Option<(u32, u32)> {
    let root: Spanned<Node> = serde_saphyr::from_str(text).ok()?;
    let mut at = &root;
    let mut best = position(at);
    for step in steps(path) {
        let next = match (&at.value, step) {
            (Node::Map(m), Step::Key(k)) => m.get(k),
            (Node::Seq(s), Step::Index(i)) => s.get(i),
            _ => None,
        };
        let Some(next) = next else { break };
        at = next;
        best = position(at).or(best);
    }
    best
}

fn position(n: &Spanned<Node>) -> Option<(u32, u32)> {
    let l = n.referenced.line();
    (l > 0).then(|| (l as u32, n.referenced.column().max(1) as u32))
}
