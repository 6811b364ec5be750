//! The stable problem codes reported by validation. They never change meaning; new ones may be added.

/// Malformed YAML or JSON (the problem carries line and column).
pub const SYNTAX: &str = "syntax";
/// A field that the definition format does not have (the message lists the valid fields).
pub const UNKNOWN_FIELD: &str = "unknown_field";
/// A required field is absent.
pub const MISSING_FIELD: &str = "missing_field";
/// A value of the wrong JSON type (e.g. a number where a duration string is expected).
pub const WRONG_TYPE: &str = "wrong_type";
/// A value outside the allowed set (the message lists the allowed values).
pub const INVALID_VALUE: &str = "invalid_value";
/// An id that does not match `[a-z0-9][a-z0-9-_]{0,63}`.
pub const BAD_ID: &str = "bad_id";
/// An input, variable, output or field name that is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
pub const BAD_NAME: &str = "bad_name";
/// A duration that is not `<number><unit>` parts (`30m`, `2d`, `1d 12h`).
pub const BAD_DURATION: &str = "bad_duration";
/// A regular expression that does not compile.
pub const BAD_PATTERN: &str = "bad_pattern";
/// A CEL expression or `${...}` interpolation that does not parse or exceeds the sandbox limits.
pub const INVALID_EXPRESSION: &str = "invalid_expression";
/// An id used twice where ids must be unique.
pub const DUPLICATE_ID: &str = "duplicate_id";
/// A name (output, field, dependency, approver) listed twice.
pub const DUPLICATE_NAME: &str = "duplicate_name";
/// A `depends_on` entry naming no sibling phase/activity.
pub const UNKNOWN_DEPENDENCY: &str = "unknown_dependency";
/// Dependencies that form a cycle (the message names it).
pub const DEPENDENCY_CYCLE: &str = "dependency_cycle";
/// A field that exists but not for this activity kind (the message lists the kind's fields).
pub const FIELD_NOT_ALLOWED: &str = "field_not_allowed";
/// A list that must not be empty (phases, activities, approvers).
pub const EMPTY: &str = "empty";
/// An approval rule that can never be met.
pub const IMPOSSIBLE_APPROVAL: &str = "impossible_approval";
/// An approver entry that is not exactly one of `user` or `group`.
pub const BAD_APPROVER: &str = "bad_approver";
/// An input default that its own definition rejects.
pub const BAD_DEFAULT: &str = "bad_default";
/// Contradictory or misplaced input constraints (`min` > `max`, `pattern` on a number, …).
pub const BAD_CONSTRAINT: &str = "bad_constraint";
/// A retry policy that cannot work (`max_attempts` 0, `factor` < 1).
pub const BAD_RETRY: &str = "bad_retry";
/// `on_failure: rollback` without any `rollback` phases to run.
pub const NO_ROLLBACK_PHASES: &str = "no_rollback_phases";
/// A `wait` activity's `until` that is neither an RFC 3339 time nor an expression.
pub const BAD_TIME: &str = "bad_time";
/// A subprocess naming a process (or version) that is not registered.
pub const UNKNOWN_PROCESS: &str = "unknown_process";
/// Subprocess references that lead back to a process already in the chain.
pub const SUBPROCESS_CYCLE: &str = "subprocess_cycle";
/// Subprocess nesting deeper than [`crate::validate::MAX_SUBPROCESS_DEPTH`].
pub const SUBPROCESS_TOO_DEEP: &str = "subprocess_too_deep";
/// An expression reads a name that does not exist where it is evaluated: an undeclared input, a
/// variable not in scope, an unknown phase, activity or field.
pub const UNKNOWN_REFERENCE: &str = "unknown_reference";
/// An expression reads outputs that do not exist yet when it is evaluated: its producer is not
/// upstream of it (the message names the missing `depends_on` edge).
pub const NOT_DOWNSTREAM: &str = "not_downstream";
/// An expression reads an output its producer does not declare (`outputs`, `fields`, phase `outputs:`).
pub const UNDECLARED_OUTPUT: &str = "undeclared_output";
/// A value used in a way its known type does not allow (a string function on a number input, a
/// number compared with a string, an `if` that cannot give a boolean).
pub const TYPE_MISMATCH: &str = "type_mismatch";

/// A key written twice in one mapping (JSON or YAML text); each repeat is listed with its line and column.
pub const DUPLICATE_KEY: &str = "duplicate_key";
/// A definition over [`crate::model::limits::MAX_DEFINITION_BYTES`] (text bytes, or a value's compact JSON).
pub const TOO_LARGE: &str = "too_large";
/// Lists and mappings nested deeper than [`crate::model::limits::MAX_DEPTH`].
pub const TOO_DEEP: &str = "too_deep";
/// More than [`crate::model::limits::MAX_NODES`] lists, mappings, keys and scalars.
pub const TOO_MANY_NODES: &str = "too_many_nodes";
/// A string over [`crate::model::limits::MAX_STRING_BYTES`] or a key over [`crate::model::limits::MAX_KEY_BYTES`].
pub const TOO_LONG: &str = "too_long";
/// More than [`crate::model::limits::MAX_PHASES`] phases.
pub const TOO_MANY_PHASES: &str = "too_many_phases";
/// More than [`crate::model::limits::MAX_ACTIVITIES`] activities.
pub const TOO_MANY_ACTIVITIES: &str = "too_many_activities";
/// The last entry of a list cut at [`crate::model::limits::MAX_PROBLEMS`] problems.
pub const TOO_MANY_PROBLEMS: &str = "too_many_problems";

/// `update` of a release: a field that can no longer change in the release's status (process,
/// version, kind and scope change only while it is a draft).
pub const NOT_CHANGEABLE: &str = "not_changeable";

/// Warning: a variable that hides one of the same name in an outer scope.
pub const SHADOWED_VARIABLE: &str = "shadowed_variable";
/// Warning: a subprocess names a process that could not be checked (validated without a catalog).
pub const UNRESOLVED_PROCESS: &str = "unresolved_process";
