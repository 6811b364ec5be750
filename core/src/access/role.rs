//! Roles, scopes and the installation's release level.

use crate::validate::codes;
use crate::{Error, Problem, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A role an [`super::Actor`] holds, parsed from its role string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `account_release_manager`: manages releases at every scope of the account, may force an
    /// activation inside a freeze window, reads everything.
    AccountReleaseManager,
    /// `org_release_manager:<org>`: manages the releases of organization `<org>` only, reads them.
    OrgReleaseManager(String),
    /// `viewer`: reads everything in the account, changes nothing.
    Viewer,
    /// `viewer:<org>`: reads the releases of organization `<org>`, changes nothing.
    OrgViewer(String),
}

impl Role {
    /// Parses a role string: `account_release_manager`, `org_release_manager:<org>`, `viewer` or
    /// `viewer:<org>`. An unknown role or an empty / blank `<org>` is an `invalid_input` error.
    pub fn parse(text: &str) -> Result<Role> {
        let org = |rest: &str| -> Result<String> {
            if rest.is_empty() || rest.chars().any(char::is_whitespace) {
                Err(invalid_role(text, "the organization id after `:` must be non-empty and without spaces"))
            } else {
                Ok(rest.to_string())
            }
        };
        match text.split_once(':') {
            None if text == "account_release_manager" => Ok(Role::AccountReleaseManager),
            None if text == "viewer" => Ok(Role::Viewer),
            Some(("org_release_manager", rest)) => Ok(Role::OrgReleaseManager(org(rest)?)),
            Some(("viewer", rest)) => Ok(Role::OrgViewer(org(rest)?)),
            _ => Err(invalid_role(
                text,
                "expected account_release_manager, org_release_manager:<org>, viewer or viewer:<org>",
            )),
        }
    }

    /// Parses every role string, failing on the first invalid one (for embedders that want to
    /// reject bad actor definitions up front; authorization itself ignores unknown roles).
    pub fn parse_all<S: AsRef<str>>(roles: &[S]) -> Result<Vec<Role>> {
        roles.iter().map(|r| Role::parse(r.as_ref())).collect()
    }

    /// Whether this role manages (may change) releases and release groups at `scope`.
    pub fn manages(&self, scope: &Scope) -> bool {
        match (self, scope) {
            (Role::AccountReleaseManager, _) => true,
            (Role::OrgReleaseManager(org), Scope::Org(target)) => org == target,
            _ => false,
        }
    }

    /// Whether this role may read releases at `scope`.
    pub fn reads(&self, scope: &Scope) -> bool {
        match (self, scope) {
            (Role::AccountReleaseManager | Role::Viewer, _) => true,
            (Role::OrgReleaseManager(org) | Role::OrgViewer(org), Scope::Org(target)) => org == target,
            _ => false,
        }
    }
}

fn invalid_role(text: &str, why: &str) -> Error {
    Error::InvalidInput {
        problems: vec![Problem::new("roles", codes::INVALID_ROLE, format!("`{text}` is not a role: {why}"))],
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::AccountReleaseManager => f.write_str("account_release_manager"),
            Role::OrgReleaseManager(org) => write!(f, "org_release_manager:{org}"),
            Role::Viewer => f.write_str("viewer"),
            Role::OrgViewer(org) => write!(f, "viewer:{org}"),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::parse(s)
    }
}

/// Where a release (or release group, freeze) lives: the account, or one organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `account`.
    Account,
    /// `org:<id>`.
    Org(String),
}

impl Scope {
    /// Parses `account` or `org:<id>` (non-empty id without spaces); anything else is an
    /// `invalid_input` error with code `invalid_scope`.
    pub fn parse(text: &str) -> Result<Scope> {
        match text.split_once(':') {
            None if text == "account" => Ok(Scope::Account),
            Some(("org", id)) if !id.is_empty() && !id.chars().any(char::is_whitespace) => Ok(Scope::Org(id.into())),
            _ => Err(Error::InvalidInput {
                problems: vec![Problem::new(
                    "scope",
                    codes::INVALID_SCOPE,
                    format!("`{text}` is not a scope; expected `account` or `org:<id>`"),
                )],
            }),
        }
    }

    /// The organization id, for `org:<id>`.
    pub fn org(&self) -> Option<&str> {
        match self {
            Scope::Account => None,
            Scope::Org(id) => Some(id),
        }
    }

    /// The level of this scope.
    pub fn level(&self) -> ReleaseLevel {
        match self {
            Scope::Account => ReleaseLevel::Account,
            Scope::Org(_) => ReleaseLevel::Organization,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Account => f.write_str("account"),
            Scope::Org(id) => write!(f, "org:{id}"),
        }
    }
}

/// The engine setting `release_level`: one level of releases per installation.
/// With `account`, releases (and release groups) scoped `org:<id>` are refused; with
/// `organization`, releases scoped `account` are refused. Serialized `account` / `organization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseLevel {
    /// Releases live at the account (scope `account`). The default.
    #[default]
    Account,
    /// Releases live in organizations (scope `org:<id>`).
    Organization,
}

impl ReleaseLevel {
    /// `account` or `organization`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseLevel::Account => "account",
            ReleaseLevel::Organization => "organization",
        }
    }
}

impl std::str::FromStr for ReleaseLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<ReleaseLevel> {
        match s {
            "account" => Ok(ReleaseLevel::Account),
            "organization" | "org" => Ok(ReleaseLevel::Organization),
            other => Err(Error::InvalidInput {
                problems: vec![Problem::new(
                    "release_level",
                    codes::INVALID_VALUE,
                    format!("`{other}` is not a release level; expected `account` or `organization`"),
                )],
            }),
        }
    }
}

/// Checks that `scope` is well-formed and matches the installation's `level`.
///
/// Errors (code `invalid_input`, one problem at path `scope`): `invalid_scope` for a malformed
/// scope; `release_level_mismatch` for a scope of the other level, e.g. "this installation runs
/// account-level releases (release_level: account); scope `org:acme` is refused, use `account`".
/// It is `invalid_input` rather than `permission_denied` because no actor could do it: the
/// request itself does not fit the installation.
pub fn check_release_level(scope: &str, level: ReleaseLevel) -> Result<Scope> {
    let parsed = Scope::parse(scope)?;
    if parsed.level() == level {
        return Ok(parsed);
    }
    let (runs, use_instead) = match level {
        ReleaseLevel::Account => ("account-level releases (release_level: account)", "`account`"),
        ReleaseLevel::Organization => ("organization-level releases (release_level: organization)", "`org:<id>`"),
    };
    Err(Error::InvalidInput {
        problems: vec![Problem::new(
            "scope",
            codes::RELEASE_LEVEL_MISMATCH,
            format!("this installation runs {runs}; scope `{scope}` is refused, use {use_instead}"),
        )],
    })
}
