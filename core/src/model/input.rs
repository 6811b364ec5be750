//! Input definitions of a process and field definitions of manual activities.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The type of a process input (or of a manual activity field, or of list items).
///
/// `service`, `environment`, `infrastructure` and `connector` are strings that name an entity of that
/// kind; the calendar uses `service` and `environment` inputs to find conflicts. `secret` holds a
/// `secret://name` reference that is resolved only when a job is handed to an executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    /// Free text.
    String,
    /// A number (integer or decimal).
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list; `items` gives the type of its elements.
    List,
    /// A JSON object.
    Object,
    /// A `secret://name` reference.
    Secret,
    /// The name of a service.
    Service,
    /// The name of an environment.
    Environment,
    /// The name of an infrastructure definition.
    Infrastructure,
    /// The name of a connector.
    Connector,
}

impl InputType {
    /// All input types, in the order they are documented.
    pub const ALL: [InputType; 10] = [
        InputType::String,
        InputType::Number,
        InputType::Boolean,
        InputType::List,
        InputType::Object,
        InputType::Secret,
        InputType::Service,
        InputType::Environment,
        InputType::Infrastructure,
        InputType::Connector,
    ];

    /// The snake_case name used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Number => "number",
            InputType::Boolean => "boolean",
            InputType::List => "list",
            InputType::Object => "object",
            InputType::Secret => "secret",
            InputType::Service => "service",
            InputType::Environment => "environment",
            InputType::Infrastructure => "infrastructure",
            InputType::Connector => "connector",
        }
    }

    /// True for the types whose values are strings (`string`, `secret`, `service`, `environment`,
    /// `infrastructure`, `connector`): `pattern` applies to them.
    pub fn is_textual(self) -> bool {
        !matches!(self, InputType::Number | InputType::Boolean | InputType::List | InputType::Object)
    }

    /// Whether `value` has this type (list items are not checked here).
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            InputType::Number => value.is_number(),
            InputType::Boolean => value.is_boolean(),
            InputType::List => value.is_array(),
            InputType::Object => value.is_object(),
            InputType::Secret => {
                value.as_str().is_some_and(|s| s.starts_with("secret://") && s.len() > "secret://".len())
            }
            _ => value.is_string(),
        }
    }
}

/// A process input: its type and constraints. Release inputs are validated against these at create,
/// schedule and activate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputDef {
    /// The input's type.
    #[serde(rename = "type")]
    pub ty: InputType,
    /// A release must supply a value (or the input has a default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Value used when the release gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The only values accepted (for lists: the only item values accepted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<Value>,
    /// Regular expression a textual value (or each textual list item) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "regex"))]
    pub pattern: Option<String>,
    /// Smallest accepted number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest accepted number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Fewest list items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// Most list items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// Type of list items (only for `type: list`; default `string`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<InputType>,
    /// What the input controls, shown to people filling it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl InputDef {
    /// An input of type `ty` with no constraints.
    pub fn of(ty: InputType) -> Self {
        InputDef {
            ty,
            required: None,
            default: None,
            allowed: Vec::new(),
            pattern: None,
            min: None,
            max: None,
            min_items: None,
            max_items: None,
            items: None,
            description: None,
        }
    }

    /// Whether a value must be supplied (`required: true` and no default).
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false) && self.default.is_none()
    }
}

/// A value a person records when completing a `manual` activity; it becomes an output of the activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Field name (also the output name).
    #[schemars(extend("format" = "name"))]
    pub name: String,
    /// The field's type.
    #[serde(rename = "type", default = "default_field_type")]
    pub ty: InputType,
    /// The person must fill it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// The only values accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<Value>,
    /// Regular expression a textual value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "regex"))]
    pub pattern: Option<String>,
    /// What to enter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn default_field_type() -> InputType {
    InputType::String
}
