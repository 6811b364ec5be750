//! Bounded hints inside messages, so no message grows with the size of the definition and no
//! hint costs more than a bounded amount of work:
//!
//! * lists of what would be valid name at most [`MAX_LISTED`] entries, then how many more there are;
//! * a long dependency cycle is named by its first [`MAX_CYCLE_NAMES`] ids, the count left out and
//!   its last id;
//! * "did you mean" compares only candidates whose length is within 2 of the wrong name (an edit
//!   distance of at most 2 is what it suggests), at most [`MAX_FUZZY_CANDIDATES`] of them per
//!   lookup; a name equal but for case, `-` and `_` is found through an index whatever the number
//!   of candidates. Over ids, fuzzy lookups are rationed to [`MAX_FUZZY_LOOKUPS`] per validation.

use std::collections::HashMap;

/// Most names listed in one message.
pub const MAX_LISTED: usize = 20;
/// Most ids named at the start of a long cycle.
pub const MAX_CYCLE_NAMES: usize = 10;
/// Most candidates compared by edit distance in one "did you mean" lookup.
pub const MAX_FUZZY_CANDIDATES: usize = 64;
/// Most "did you mean" lookups by edit distance over ids in one validation.
pub const MAX_FUZZY_LOOKUPS: usize = 1000;

/// `names` joined with `, ` (each in backticks when `quote`), at most [`MAX_LISTED`] of them; when
/// `total` is larger, ends with `, … (N more)`.
pub fn bounded_list<'a>(names: impl Iterator<Item = &'a str>, total: usize, quote: bool) -> String {
    let shown: Vec<String> =
        names.take(MAX_LISTED).map(|n| if quote { format!("`{n}`") } else { n.to_string() }).collect();
    let mut text = shown.join(", ");
    if total > shown.len() {
        text.push_str(&format!(", … ({} more)", total - shown.len()));
    }
    text
}

/// A cycle as `a → b → c → a`; past [`MAX_CYCLE_NAMES`] ids, `a → … → j → … (N more) → z → a`.
pub fn cycle_excerpt(names: &[&str]) -> String {
    let Some(first) = names.first() else { return String::new() };
    if names.len() <= MAX_CYCLE_NAMES + 1 {
        return format!("{} → {first}", names.join(" → "));
    }
    let last = names[names.len() - 1];
    let left_out = names.len() - MAX_CYCLE_NAMES - 1;
    format!("{} → … ({left_out} more) → {last} → {first}", names[..MAX_CYCLE_NAMES].join(" → "))
}

fn normalize(s: &str) -> String {
    s.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// The valid name closest to `wrong` among a short list (field names): the same but for case, `-`
/// and `_`, or within two edits (only names of a length within 2 are compared).
pub fn suggest<'v>(wrong: &str, valid: &[&'v str]) -> Option<&'v str> {
    let w = normalize(wrong);
    if let Some(hit) = valid.iter().find(|v| normalize(v) == w) {
        return Some(hit);
    }
    closest(&w, valid.iter().copied().take(MAX_FUZZY_CANDIDATES))
}

/// The candidate within two edits of `w` (already normalized), the closest first.
fn closest<'v>(w: &str, candidates: impl Iterator<Item = &'v str>) -> Option<&'v str> {
    let len = w.chars().count();
    candidates
        .filter_map(|v| {
            let n = normalize(v);
            (n.chars().count().abs_diff(len) <= 2).then(|| (levenshtein(w, &n), v))
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// "Did you mean" over many ids: an index by normalized form and by length.
pub struct IdSuggester<'a> {
    by_form: HashMap<String, &'a str>,
    by_length: HashMap<usize, Vec<&'a str>>,
}

impl<'a> IdSuggester<'a> {
    /// Indexes `ids` (the first of equal forms wins).
    pub fn new(ids: impl Iterator<Item = &'a str>) -> Self {
        let mut by_form = HashMap::new();
        let mut by_length: HashMap<usize, Vec<&'a str>> = HashMap::new();
        for id in ids {
            let form = normalize(id);
            let len = form.chars().count();
            if by_form.insert(form, id).is_none() {
                let bucket = by_length.entry(len).or_default();
                if bucket.len() < MAX_FUZZY_CANDIDATES {
                    bucket.push(id);
                }
            }
        }
        IdSuggester { by_form, by_length }
    }

    /// The id `wrong` was probably meant to be (never `not`); `fuzzy_left` rations the lookups by
    /// edit distance and is decremented by each one.
    pub fn suggest(&self, wrong: &str, not: &str, fuzzy_left: &mut usize) -> Option<&'a str> {
        let w = normalize(wrong);
        if let Some(hit) = self.by_form.get(&w).filter(|hit| **hit != not) {
            return Some(hit);
        }
        if *fuzzy_left == 0 {
            return None;
        }
        *fuzzy_left -= 1;
        // Candidates of the same length first, then one longer or shorter, then two.
        let len = w.chars().count();
        let lengths = [Some(len), len.checked_sub(1), Some(len + 1), len.checked_sub(2), Some(len + 2)];
        let candidates =
            lengths.into_iter().flatten().filter_map(|l| self.by_length.get(&l)).flat_map(|ids| ids.iter().copied());
        closest(&w, candidates.filter(|c| *c != not).take(MAX_FUZZY_CANDIDATES))
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_field_names() {
        assert_eq!(suggest("dependsOn", &["id", "depends_on"]), Some("depends_on"));
        assert_eq!(suggest("activites", &["id", "activities"]), Some("activities"));
        assert_eq!(suggest("zzzz", &["id", "activities"]), None);
        assert_eq!(suggest(&"a".repeat(1000), &["id", "activities"]), None);
    }

    #[test]
    fn suggests_ids_within_a_ration() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("phase-{i}")).collect();
        let s = IdSuggester::new(ids.iter().map(String::as_str).chain(["deploy-prod"]));
        let mut left = 2;
        assert_eq!(s.suggest("Deploy_Prod", "x", &mut left), Some("deploy-prod"));
        assert_eq!(left, 2, "an exact match of the normalized form costs no ration");
        assert_eq!(s.suggest("deplyo-prod", "x", &mut left), Some("deploy-prod"));
        assert_eq!(s.suggest("deploy-prd", "deploy-prod", &mut left), None);
        assert_eq!(left, 0);
        assert_eq!(s.suggest("deplyo-prod", "x", &mut left), None, "the ration is spent");
    }

    #[test]
    fn lists_and_cycles_are_bounded() {
        let names: Vec<String> = (0..100).map(|i| format!("p{i}")).collect();
        let list = bounded_list(names.iter().map(String::as_str), 100, false);
        assert!(list.starts_with("p0, p1,") && list.ends_with("p19, … (80 more)"), "{list}");
        assert_eq!(bounded_list(["a", "b"].into_iter(), 2, true), "`a`, `b`");
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(cycle_excerpt(&refs[..3]), "p0 → p1 → p2 → p0");
        assert_eq!(cycle_excerpt(&refs), "p0 → p1 → p2 → p3 → p4 → p5 → p6 → p7 → p8 → p9 → … (89 more) → p99 → p0");
    }
}
