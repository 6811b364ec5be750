//! Durations as written in definitions: `30m`, `2d`, `1d 12h`, `1w`.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A duration written as one or more `<number><unit>` parts, units `w` (weeks), `d` (days),
/// `h` (hours), `m` (minutes) and `s` (seconds), optionally separated by spaces: `30m`, `2d`,
/// `1d 12h`, `1h30m`. Each unit may appear once, largest first. Zero (`0s`) is allowed.
///
/// The text is kept as written so a definition serializes back exactly as it was authored.
///
/// ```
/// use trainyard::model::Duration;
/// let d: Duration = "1d 12h".parse().unwrap();
/// assert_eq!(d.as_secs(), 36 * 3600);
/// assert_eq!(d.to_string(), "1d 12h");
/// assert!("12".parse::<Duration>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Duration {
    secs: u64,
    text: String,
}

impl Duration {
    /// The duration in whole seconds.
    pub fn as_secs(&self) -> u64 {
        self.secs
    }

    /// The duration as written in the definition.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A duration of `secs` seconds, written in canonical form (`1d 2h 3m 4s`).
    pub fn from_secs(secs: u64) -> Self {
        let mut parts = Vec::new();
        let mut rest = secs;
        for (unit, size) in UNITS {
            if rest >= size && unit != 'w' {
                parts.push(format!("{}{unit}", rest / size));
                rest %= size;
            }
        }
        if parts.is_empty() {
            parts.push("0s".to_string());
        }
        Duration { secs, text: parts.join(" ") }
    }

    /// Parses a duration, returning a message that says what would be valid on error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!(
                "`{text}` is not a duration ({why}); write one or more <number><unit> parts with units w, d, h, m, s, largest first, e.g. `30m`, `2d`, `1d 12h`"
            )
        };
        let mut secs: u64 = 0;
        let mut last_rank = usize::MAX;
        let mut chars = text.trim().chars().peekable();
        let mut any = false;
        while chars.peek().is_some() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let mut digits = String::new();
            while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(c);
                chars.next();
            }
            if digits.is_empty() {
                return Err(invalid("expected a number"));
            }
            let unit = chars.next().ok_or_else(|| invalid("a number needs a unit"))?;
            let rank =
                UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(|| invalid(&format!("unknown unit `{unit}`")))?;
            if last_rank != usize::MAX && rank <= last_rank {
                return Err(invalid("units must appear once each, largest first"));
            }
            last_rank = rank;
            let too_long = || invalid("longer than 100 years, the longest duration allowed");
            let n: u64 = digits.parse().map_err(|_| too_long())?;
            let part = n.checked_mul(UNITS[rank].1).ok_or_else(too_long)?;
            secs = secs.checked_add(part).filter(|s| *s <= MAX_DURATION_SECS).ok_or_else(too_long)?;
            any = true;
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        }
        if !any {
            return Err(invalid("it is empty"));
        }
        Ok(Duration { secs, text: text.to_string() })
    }
}

/// The longest duration a definition (or a `wait` expression) may give: 100 years of 365.25 days.
/// Every timer computed from a duration stays far inside the calendar's range.
pub const MAX_DURATION_SECS: u64 = 36_525 * 86_400;

const UNITS: [(char, u64); 5] = [('w', 7 * 86_400), ('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl std::str::FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Duration::parse(s)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duration({} = {}s)", self.text, self.secs)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "duration",
            "pattern": r"^\s*(\d+\s*[wdhms]\s*)+$",
            "description": "A duration such as `30m`, `2d`, `1d 12h` (units w, d, h, m, s; largest first).",
            "examples": ["30m", "2d", "1d 12h"]
        })
    }
}

/// A `wait` activity's `duration`: fixed as written (`2h`), or an expression (`${inputs.soak}`)
/// evaluated when the wait starts, like `until`. The expression must give a duration text (`90m`)
/// or a whole number of seconds (as a number or as digits); see [`Duration::from_value`].
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum WaitDuration {
    /// A duration written in the definition.
    Fixed(Duration),
    /// An expression text containing `${…}`, evaluated when the wait starts.
    Expression(String),
}

impl WaitDuration {
    /// The text as written in the definition.
    pub fn as_str(&self) -> &str {
        match self {
            WaitDuration::Fixed(d) => d.as_str(),
            WaitDuration::Expression(text) => text,
        }
    }

    /// Reads a definition's text: an expression when it contains `${`, a duration otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        if crate::expr::template::has_interpolation(text) {
            Ok(WaitDuration::Expression(text.to_string()))
        } else {
            Duration::parse(text).map(WaitDuration::Fixed)
        }
    }
}

impl Duration {
    /// The duration an expression gave: a duration text (`90m`, `1d 12h`), or a whole number of
    /// seconds as a JSON number or as digits (`"300"`). At most [`MAX_DURATION_SECS`].
    ///
    /// ```
    /// use trainyard::model::Duration;
    /// assert_eq!(Duration::from_value(&serde_json::json!("90m")).unwrap().as_secs(), 5400);
    /// assert_eq!(Duration::from_value(&serde_json::json!(300)).unwrap().as_secs(), 300);
    /// assert!(Duration::from_value(&serde_json::json!(-1)).is_err());
    /// ```
    pub fn from_value(value: &serde_json::Value) -> Result<Self, String> {
        let seconds = |secs: u64| {
            if secs <= MAX_DURATION_SECS {
                Ok(Duration::from_secs(secs))
            } else {
                Err(format!("{secs} seconds is longer than 100 years, the longest duration allowed"))
            }
        };
        match value {
            serde_json::Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text
                .parse()
                .map_err(|_| "longer than 100 years, the longest duration allowed".to_string())
                .and_then(seconds),
            serde_json::Value::String(text) => Duration::parse(text),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(secs) => seconds(secs),
                None => Err(format!("{n} is not a whole, non-negative number of seconds")),
            },
            other => Err(format!("expected a duration like `30m` or a whole number of seconds, got {other}")),
        }
    }
}

impl fmt::Display for WaitDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for WaitDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WaitDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        WaitDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for WaitDuration {
    fn schema_name() -> Cow<'static, str> {
        "WaitDuration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "duration_or_expression",
            "description": "A duration such as `30m`, `2d`, `1d 12h`, or an expression `${…}` giving one (or whole seconds) when the wait starts.",
            "examples": ["2h", "${inputs.soak}"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_combinations() {
        let cases = [
            ("30m", 1800),
            ("2d", 172_800),
            ("1d 12h", 129_600),
            ("1w", 604_800),
            ("1h30m", 5400),
            ("45s", 45),
            ("0s", 0),
            (" 2h ", 7200),
        ];
        for (text, secs) in cases {
            assert_eq!(Duration::parse(text).unwrap().as_secs(), secs, "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_a_helpful_message() {
        for bad in ["", "12", "m", "3x", "1h 2d", "1h1h", "99999999999999999999d", "5218w", "1.5h", "-1h"] {
            let err = Duration::parse(bad).unwrap_err();
            assert!(err.contains("e.g. `30m`"), "{bad}: {err}");
        }
    }

    #[test]
    fn keeps_the_text_as_written_and_has_a_canonical_form() {
        let d = Duration::parse("1d  12h").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1d  12h\"");
        assert_eq!(Duration::from_secs(129_600).as_str(), "1d 12h");
        assert_eq!(Duration::from_secs(0).as_str(), "0s");
        assert_eq!(Duration::from_secs(3661).as_secs(), 3661);
    }
}
