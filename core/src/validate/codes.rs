//! Every stable code of trainyard, in one registry ([`ALL`]): the codes of errors
//! ([`crate::Error::code`]), of the problems they carry (validation of definitions, release
//! groups, freezes and inputs; bad arguments) and of warnings. A code never changes meaning; new
//! ones may be added. Each has a constant here and a one-line meaning; the README's table of codes
//! is generated from [`ALL`] and a test keeps the two, the constants and every code used in the
//! crate the same.

/// What a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// The code of an error ([`crate::Error::code`]; Python `TrainyardError.code`, Node `err.code`).
    Error,
    /// The code of one [`crate::Problem`] of a `validation` or `invalid_input` error.
    Problem,
    /// The code of a warning: a problem that does not refuse the definition.
    Warning,
}

impl CodeKind {
    /// `error`, `problem` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Error => "error",
            CodeKind::Problem => "problem",
            CodeKind::Warning => "warning",
        }
    }
}

/// One registered code: the stable string, what it names and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The stable snake_case string.
    pub code: &'static str,
    /// Whether it is an error's, a problem's or a warning's code.
    pub kind: CodeKind,
    doc: &'static str,
}

impl Code {
    /// What the code means, in one line.
    pub fn meaning(&self) -> &'static str {
        self.doc.trim()
    }
}

/// Declares each code as a constant (with its doc comment) and registers it in [`ALL`] with its
/// kind and the same text as its meaning.
macro_rules! codes {
    ($($kind:ident { $($(#[doc = $doc:literal])+ $name:ident = $code:literal;)+ })+) => {
        $($($(#[doc = $doc])+ pub const $name: &str = $code;)+)+

        /// Every stable code: errors, then problems, then warnings.
        pub const ALL: &[Code] = &[$($(Code { code: $name, kind: CodeKind::$kind, doc: concat!($($doc),+) },)+)+];
    };
}

codes! {
    Error {
        /// A definition (process, release group, freeze) is invalid; its problems list every problem found.
        VALIDATION = "validation";
        /// Arguments or values handed in (release inputs, field values, options) are invalid; its problems list them all.
        INVALID_INPUT = "invalid_input";
        /// The command is not allowed in the current status (the message names it and the commands allowed).
        INVALID_TRANSITION = "invalid_transition";
        /// A process, release, phase, activity, job or document named does not exist.
        NOT_FOUND = "not_found";
        /// The actor lacks the role the command needs (the message names the actor, the command and the role).
        PERMISSION_DENIED = "permission_denied";
        /// Lost a race (a concurrent append, a stale lease token); nothing was written and trying again may succeed.
        CONFLICT = "conflict";
        /// What the command would create or record exists already; trying again gives the same answer.
        ALREADY_EXISTS = "already_exists";
        /// An expression failed to compile or to evaluate, or its value cannot be stored.
        EXPRESSION_ERROR = "expression_error";
        /// The store failed, or the engine was closed.
        STORAGE = "storage";
        /// An executor failed outside of an activity outcome (e.g. an unknown executor).
        EXECUTOR = "executor";
        /// A scheduling rule refused the command (a freeze window, a bad recurrence or time range).
        SCHEDULE = "schedule";
        /// The stored data (schema, event or snapshot format) was written by a newer trainyard; it is left unchanged.
        UNSUPPORTED_VERSION = "unsupported_version";
        /// Not a core error: a bug inside trainyard (a panic) caught at a binding's boundary.
        INTERNAL = "internal";
    }
    Problem {
        /// Malformed YAML or JSON (the problem carries line and column).
        SYNTAX = "syntax";
        /// A field that the definition format does not have (the message lists the valid fields).
        UNKNOWN_FIELD = "unknown_field";
        /// A required field is absent.
        MISSING_FIELD = "missing_field";
        /// A field of an activity's `records` (service, environment, version, commit, artifact) is
        /// empty.
        EMPTY_RECORD_FIELD = "empty_record_field";
        /// A value of the wrong type (e.g. a number where a duration string is expected).
        WRONG_TYPE = "wrong_type";
        /// A value outside the allowed set or range (the message says what would be valid).
        INVALID_VALUE = "invalid_value";
        /// An id that does not match `[a-z0-9][a-z0-9-_]{0,63}`.
        BAD_ID = "bad_id";
        /// An input, variable, output or field name that is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
        BAD_NAME = "bad_name";
        /// A duration that is not `<number><unit>` parts (`30m`, `2d`, `1d 12h`).
        BAD_DURATION = "bad_duration";
        /// A regular expression that does not compile.
        BAD_PATTERN = "bad_pattern";
        /// A CEL expression or `${...}` interpolation that does not parse or exceeds the sandbox limits.
        INVALID_EXPRESSION = "invalid_expression";
        /// An id used twice where ids must be unique.
        DUPLICATE_ID = "duplicate_id";
        /// A name (output, field, dependency, approver) listed twice.
        DUPLICATE_NAME = "duplicate_name";
        /// A `depends_on` entry naming no sibling phase or activity.
        UNKNOWN_DEPENDENCY = "unknown_dependency";
        /// Dependencies that form a cycle (the message names it).
        DEPENDENCY_CYCLE = "dependency_cycle";
        /// A field that exists but not for this activity kind (the message lists the kind's fields).
        FIELD_NOT_ALLOWED = "field_not_allowed";
        /// A list that must not be empty (phases, activities, approvers).
        EMPTY = "empty";
        /// An approval rule that can never be met.
        IMPOSSIBLE_APPROVAL = "impossible_approval";
        /// An approver entry that is not exactly one of `user` or `group`.
        BAD_APPROVER = "bad_approver";
        /// An input default that its own definition rejects.
        BAD_DEFAULT = "bad_default";
        /// Contradictory or misplaced input constraints (`min` > `max`, `pattern` on a number, …).
        BAD_CONSTRAINT = "bad_constraint";
        /// A retry policy that cannot work (`max_attempts` 0, `factor` < 1).
        BAD_RETRY = "bad_retry";
        /// `on_failure: rollback` without any `rollback` phases to run.
        NO_ROLLBACK_PHASES = "no_rollback_phases";
        /// A `wait` activity's `until` (or a gate target's `occurrence`) that is neither an RFC 3339 time nor
        /// an expression.
        BAD_TIME = "bad_time";
        /// A gate target that is not exactly one of `release`, `group` or `labels`, or that names an
        /// `occurrence` without a `group` or an `activity` without a `phase`.
        BAD_GATE_TARGET = "bad_gate_target";
        /// A gate's `until` or `fail_on` naming a status its targets cannot be in, or naming one
        /// status in both.
        BAD_GATE_STATUS = "bad_gate_status";
        /// Gates of releases that wait for each other in a cycle (the message names it): refused when
        /// a release is scheduled or activated.
        GATE_CYCLE = "gate_cycle";
        /// A lock without a name, with a name too long, listed twice, with a capacity out of
        /// range, `hold_through_approval` on an activity, or more locks than a node may hold.
        BAD_LOCK = "bad_lock";
        /// A subprocess naming a process (or version) that is not registered.
        UNKNOWN_PROCESS = "unknown_process";
        /// Subprocess references that lead back to a process already in the chain.
        SUBPROCESS_CYCLE = "subprocess_cycle";
        /// Subprocesses nested deeper than `validate::MAX_SUBPROCESS_DEPTH` (3) levels.
        SUBPROCESS_TOO_DEEP = "subprocess_too_deep";
        /// An expression reads a name that does not exist where it is evaluated: an undeclared input, a
        /// variable not in scope, an unknown phase, activity or field.
        UNKNOWN_REFERENCE = "unknown_reference";
        /// An expression reads outputs whose producer is not upstream of it (the message names the
        /// missing `depends_on` edge).
        NOT_DOWNSTREAM = "not_downstream";
        /// An expression reads an output its producer does not declare (`outputs`, `fields`, phase `outputs:`).
        UNDECLARED_OUTPUT = "undeclared_output";
        /// A value used in a way its known type does not allow (a string function on a number input, a
        /// number compared with a string, an `if` that cannot give a boolean).
        TYPE_MISMATCH = "type_mismatch";
        /// A key written twice in one mapping (JSON or YAML text); each repeat is listed with its line and column.
        DUPLICATE_KEY = "duplicate_key";
        /// Over a size bound: a definition over 4 MiB, values handed in over 1 MiB as JSON, a name,
        /// comment or reason over its length.
        TOO_LARGE = "too_large";
        /// Lists and mappings nested too deep: 64 levels in a definition, 100 in values handed in, 128
        /// in a binding's argument.
        TOO_DEEP = "too_deep";
        /// A definition of more than 1,000,000 lists, mappings, keys and scalars (aliases expanded).
        TOO_MANY_NODES = "too_many_nodes";
        /// A string over 256 KiB or a key over 1 KiB in a definition.
        TOO_LONG = "too_long";
        /// More than 100,000 phases (`phases` and `rollback` together).
        TOO_MANY_PHASES = "too_many_phases";
        /// More than 100,000 activities in all phases together.
        TOO_MANY_ACTIVITIES = "too_many_activities";
        /// The last entry of a list of problems cut at 1,000.
        TOO_MANY_PROBLEMS = "too_many_problems";
        /// A time-zone name that is not in the IANA database (e.g. `Europe/Berlinn`).
        BAD_TIMEZONE = "bad_timezone";
        /// A recurrence rule that does not parse, cannot recur or breaks RFC 5545 (the message says why).
        BAD_RRULE = "bad_rrule";
        /// A weekday (or ordinal weekday) that is not one.
        BAD_WEEKDAY = "bad_weekday";
        /// A cadence `interval` of 0 (or absurdly large).
        BAD_INTERVAL = "bad_interval";
        /// A range whose end is not after its start (`ends_on` before `starts_on`, a freeze's `end` ≤ `start`).
        BAD_RANGE = "bad_range";
        /// A `name_template` (or a group's input) with an unknown `{field}` or an unbalanced brace.
        BAD_TEMPLATE = "bad_template";
        /// A release input the process does not declare (the message lists the inputs it has).
        UNKNOWN_INPUT = "unknown_input";
        /// A required release input without a value when the release is scheduled or activated.
        MISSING_INPUT = "missing_input";
        /// A role that is not one (`account_release_manager`, `org_release_manager:<org>`, `viewer`, `viewer:<org>`).
        INVALID_ROLE = "invalid_role";
        /// A scope that is neither `account` nor `org:<id>`.
        INVALID_SCOPE = "invalid_scope";
        /// A scope of the other release level than the installation's (`Engine::set_release_level`).
        RELEASE_LEVEL_MISMATCH = "release_level_mismatch";
        /// `update` of a release: a field that can no longer change in the release's status (process, version, kind and scope change only while it is a draft).
        NOT_CHANGEABLE = "not_changeable";
        /// `rewind` of something that cannot run again now: a phase or activity that has not run yet, a rollback phase, an activity of a skipped phase, or any node while a halted release winds down.
        NOT_REWINDABLE = "not_rewindable";
        /// An amendment (`insert_activity`, `delegate`, `reschedule_phase`) of something that can no longer change that way: a finished phase, a started phase, an approver who is not listed or has decided.
        NOT_AMENDABLE = "not_amendable";
    }
    Warning {
        /// A variable that hides one of the same name in an outer scope.
        SHADOWED_VARIABLE = "shadowed_variable";
        /// A subprocess names a process that could not be checked (validated without a catalog).
        UNRESOLVED_PROCESS = "unresolved_process";
    }
}

/// The registered code `code`, if there is one.
pub fn lookup(code: &str) -> Option<&'static Code> {
    ALL.iter().find(|c| c.code == code)
}
