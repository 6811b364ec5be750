//! Release metadata: `labels` (key → value), a `description`, a `version` and `links` to
//! tickets, commits and incidents. Set at creation ([`super::NewRelease::metadata`]) and changed
//! with `update_release` ([`MetadataChange`]); recorded in the `created` and `updated` events;
//! shown in the views; indexed for search (labels and version).
//!
//! Bounds (refused with `invalid_input`, every problem at once): see [`crate::limits`]
//! ([`MAX_LABELS`], [`MAX_LABEL_KEY_BYTES`], [`MAX_LABEL_VALUE_BYTES`], [`MAX_DESCRIPTION_BYTES`],
//! [`MAX_VERSION_BYTES`], [`MAX_LINKS`], [`MAX_URL_BYTES`]). A label key is 1 to 63 characters of
//! lowercase letters, digits, `.`, `_`, `-` and `/`, starting with a letter or digit.

use crate::Problem;
use crate::limits::{
    MAX_DESCRIPTION_BYTES, MAX_LABEL_KEY_BYTES, MAX_LABEL_VALUE_BYTES, MAX_LABELS, MAX_LINKS, MAX_NAME_BYTES,
    MAX_URL_BYTES, MAX_VERSION_BYTES,
};
use crate::validate::codes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a link points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A ticket (issue tracker).
    Ticket,
    /// A commit.
    Commit,
    /// An incident.
    Incident,
    /// Anything else.
    Other,
}

impl LinkKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Ticket => "ticket",
            LinkKind::Commit => "commit",
            LinkKind::Incident => "incident",
            LinkKind::Other => "other",
        }
    }
}

impl std::str::FromStr for LinkKind {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "ticket" => Ok(LinkKind::Ticket),
            "commit" => Ok(LinkKind::Commit),
            "incident" => Ok(LinkKind::Incident),
            "other" => Ok(LinkKind::Other),
            _ => Err(crate::Error::InvalidInput {
                problems: vec![Problem::new(
                    "kind",
                    codes::INVALID_VALUE,
                    format!("unknown link kind `{s}`; expected one of: ticket, commit, incident, other"),
                )],
            }),
        }
    }
}

/// A link from a release to something outside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What it points at.
    pub kind: LinkKind,
    /// Where.
    pub url: String,
    /// A title to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The metadata of a release (everything empty by default; empty parts are left out of events
/// and snapshots, so releases without metadata are stored as before).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Labels: key → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The version being released (`2.1.4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Links to tickets, commits, incidents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

impl Metadata {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.description.is_none() && self.version.is_none() && self.links.is_empty()
    }

    /// Every problem with the metadata against the bounds, at paths `labels.<key>`,
    /// `description`, `version`, `links[<i>].url`, … .
    pub fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let too_large = codes::TOO_LARGE;
        if self.labels.len() > MAX_LABELS {
            problems.push(Problem::new(
                "labels",
                too_large,
                format!("{} labels; at most {MAX_LABELS}", self.labels.len()),
            ));
        }
        check_labels(self.labels.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))), &mut problems);
        let mut bounded = |path: &str, text: Option<&str>, max: usize| {
            if let Some(t) = text {
                if t.len() > max {
                    problems.push(Problem::new(path, too_large, format!("{} bytes; at most {max}", t.len())));
                }
            }
        };
        bounded("description", self.description.as_deref(), MAX_DESCRIPTION_BYTES);
        bounded("version", self.version.as_deref(), MAX_VERSION_BYTES);
        for (i, l) in self.links.iter().enumerate() {
            bounded(&format!("links[{i}].url"), Some(&l.url), MAX_URL_BYTES);
            bounded(&format!("links[{i}].title"), l.title.as_deref(), MAX_NAME_BYTES);
        }
        if self.links.len() > MAX_LINKS {
            problems.push(Problem::new("links", too_large, format!("{} links; at most {MAX_LINKS}", self.links.len())));
        }
        for (i, l) in self.links.iter().enumerate() {
            if l.url.trim().is_empty() {
                problems.push(Problem::new(format!("links[{i}].url"), codes::MISSING_FIELD, "a link needs a url"));
            }
        }
        problems
    }
}

/// The problems of labels (`None`: a label being removed, whose key is not checked).
fn check_labels<'a>(labels: impl Iterator<Item = (&'a str, Option<&'a str>)>, problems: &mut Vec<Problem>) {
    for (k, v) in labels {
        let Some(v) = v else { continue };
        let path = format!("labels.{k}");
        if !label_key_ok(k) {
            problems.push(Problem::new(
                &path,
                codes::INVALID_VALUE,
                format!(
                    "label key `{k}`: use 1 to {MAX_LABEL_KEY_BYTES} lowercase letters, digits, `.`, `_`, `-` or `/`, starting with a letter or digit"
                ),
            ));
        }
        if v.len() > MAX_LABEL_VALUE_BYTES {
            problems.push(Problem::new(
                &path,
                codes::TOO_LARGE,
                format!("{} bytes; at most {MAX_LABEL_VALUE_BYTES}", v.len()),
            ));
        }
    }
}

fn label_key_ok(k: &str) -> bool {
    let mut chars = k.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && k.len() <= MAX_LABEL_KEY_BYTES
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/'))
}

/// A change to a release's metadata: each part given replaces it (a label set to `None`
/// removes it; `Some(None)` clears the description or version); parts not given stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataChange {
    /// Labels to set (`Some`) or remove (`None`), merged over the current ones.
    pub labels: Option<BTreeMap<String, Option<String>>>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// A new version (`Some(None)` clears it).
    pub version: Option<Option<String>>,
    /// The new links (replacing all of them).
    pub links: Option<Vec<Link>>,
}

impl MetadataChange {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.labels.is_none() && self.description.is_none() && self.version.is_none() && self.links.is_none()
    }

    /// `current` with the change applied.
    pub fn apply(&self, current: &Metadata) -> Metadata {
        let mut out = current.clone();
        if let Some(labels) = &self.labels {
            for (k, v) in labels {
                match v {
                    Some(v) => out.labels.insert(k.clone(), v.clone()),
                    None => out.labels.remove(k),
                };
            }
        }
        if let Some(d) = &self.description {
            out.description = d.clone();
        }
        if let Some(v) = &self.version {
            out.version = v.clone();
        }
        if let Some(l) = &self.links {
            out.links = l.clone();
        }
        out
    }
}

impl MetadataChange {
    /// The change the bindings read from their arguments: `labels` a JSON object of strings (a
    /// `null` value removes a label), `description` and `version` texts (an empty text clears
    /// one), `links` a JSON list of `{ kind, url, title? }`. `invalid_input` lists every value
    /// of the wrong shape at its path.
    pub fn from_json(
        labels: Option<&serde_json::Value>,
        description: Option<String>,
        version: Option<String>,
        links: Option<&serde_json::Value>,
    ) -> crate::Result<Self> {
        use serde_json::Value;
        let mut problems = Vec::new();
        let labels = labels.map(|v| match v {
            Value::Object(m) => m
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), Some(s.clone()))),
                    Value::Null => Some((k.clone(), None)),
                    _ => {
                        let what = "a label value must be text (or null to remove the label)";
                        problems.push(Problem::new(format!("labels.{k}"), codes::WRONG_TYPE, what));
                        None
                    }
                })
                .collect(),
            _ => {
                problems.push(Problem::new(
                    "labels",
                    codes::WRONG_TYPE,
                    "expected a mapping of text keys to text values",
                ));
                BTreeMap::new()
            }
        });
        if let Some(l) = &labels {
            check_labels(l.iter().map(|(k, v)| (k.as_str(), v.as_deref())), &mut problems);
        }
        let links = links.map(|v| match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match serde_json::from_value::<Link>(item.clone()) {
                    Ok(l) => Some(l),
                    Err(e) => {
                        let what = format!("expected {{ kind: ticket|commit|incident|other, url, title? }}: {e}");
                        problems.push(Problem::new(format!("links[{i}]"), codes::WRONG_TYPE, what));
                        None
                    }
                })
                .collect(),
            _ => {
                problems.push(Problem::new("links", codes::WRONG_TYPE, "expected a list of links"));
                Vec::new()
            }
        });
        let clearable = |t: Option<String>| t.map(|t| (!t.is_empty()).then_some(t));
        let change = MetadataChange { labels, description: clearable(description), version: clearable(version), links };
        crate::Error::invalid_input_or(problems, change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_all_at_once() {
        let mut m = Metadata::default();
        m.labels.insert("Team".into(), "x".repeat(MAX_LABEL_VALUE_BYTES + 1));
        m.labels.insert("team/ok".into(), "payments".into());
        m.version = Some("v".repeat(MAX_VERSION_BYTES + 1));
        m.links.push(Link { kind: LinkKind::Ticket, url: " ".into(), title: None });
        let paths: Vec<String> = m.check().into_iter().map(|p| p.path).collect();
        assert_eq!(paths, ["labels.Team", "labels.Team", "version", "links[0].url"]);
    }

    #[test]
    fn a_change_merges_labels_and_replaces_the_rest() {
        let mut m = Metadata::default();
        m.labels.insert("team".into(), "payments".into());
        m.labels.insert("tier".into(), "1".into());
        m.description = Some("old".into());
        let change = MetadataChange {
            labels: Some([("tier".to_string(), None), ("env".to_string(), Some("prod".to_string()))].into()),
            description: Some(None),
            ..Default::default()
        };
        let after = change.apply(&m);
        assert_eq!(after.labels.keys().collect::<Vec<_>>(), ["env", "team"]);
        assert_eq!(after.description, None);
        assert!(!change.is_empty() && MetadataChange::default().is_empty());
    }
}
