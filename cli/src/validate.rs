//! `validate`, `lint` and `schema`: definition files checked without a store.

use crate::args::{Format, SchemaArgs, ValidateArgs};
use crate::{CliResult, Ctx, EXIT_OK, EXIT_PROBLEMS, Failure};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One problem of one file, as printed.
#[derive(Debug, Serialize)]
struct Finding {
    file: String,
    /// `error` or `warning`.
    severity: &'static str,
    code: String,
    path: String,
    message: String,
    line: Option<u32>,
    column: Option<u32>,
}

/// `validate FILES…` (`lint == false`) and `lint [PATHS…]`.
pub(crate) fn validate(ctx: &mut Ctx<'_>, a: &ValidateArgs, lint: bool) -> CliResult {
    let files = if lint { expand(&a.files)? } else { a.files.clone() };
    if files.is_empty() {
        let what = if lint { "no definition files (*.yaml, *.yml, *.json) found" } else { "no files given" };
        return Err(Failure::Usage(format!("{what}; name the definition files to check")));
    }
    let mut findings = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
        let name = file.display().to_string();
        let (problems, severity) = match trainyard::load_process(&text) {
            Ok(loaded) => (loaded.warnings, "warning"),
            Err(e) => (e.problems().to_vec(), "error"),
        };
        findings.extend(problems.into_iter().map(|p| {
            // Problems found after parsing carry a path; the position is looked up from it.
            let (line, column) = match (p.line, p.column) {
                (Some(l), c) => (Some(l), c),
                // A document the locator cannot read (over a bound) is reported at its start.
                _ => crate::locate::locate(&text, &p.path).map_or((Some(1), Some(1)), |(l, c)| (Some(l), Some(c))),
            };
            Finding { file: name.clone(), severity, code: p.code, path: p.path, message: p.message, line, column }
        }));
    }
    let errors = findings.iter().filter(|f| f.severity == "error").count();
    let warnings = findings.len() - errors;
    match if ctx.json() { Format::Json } else { a.format } {
        Format::Text => {
            for f in &findings {
                // A message of several lines continues indented, so each problem starts a line.
                let message = f.message.trim_end().replace('\n', "\n    ");
                writeln!(ctx.out, "{}: {}[{}] {}: {message}", position(f), f.severity, f.code, f.path)?;
            }
            writeln!(ctx.err, "{} file(s) checked: {errors} error(s), {warnings} warning(s)", files.len())?;
        }
        Format::Json => {
            let v = serde_json::json!({ "files": files.len(), "errors": errors, "warnings": warnings, "problems": findings });
            writeln!(ctx.out, "{v}")?;
        }
        Format::Github => {
            for f in &findings {
                let kind = if f.severity == "error" { "error" } else { "warning" };
                let mut props = format!("file={}", escape_property(&f.file));
                if let Some(line) = f.line {
                    props.push_str(&format!(",line={line}"));
                }
                if let Some(col) = f.column {
                    props.push_str(&format!(",col={col}"));
                }
                props.push_str(&format!(",title={}", escape_property(&f.code)));
                writeln!(ctx.out, "::{kind} {props}::{}", escape_data(&format!("{}: {}", f.path, f.message)))?;
            }
        }
    }
    Ok(if errors > 0 || (lint && warnings > 0) { EXIT_PROBLEMS } else { EXIT_OK })
}

/// `file:line:column` (as much of it as is known).
fn position(f: &Finding) -> String {
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", f.file),
        (Some(l), None) => format!("{}:{l}", f.file),
        _ => f.file.clone(),
    }
}

/// GitHub Actions escaping of a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// GitHub Actions escaping of a workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Files as given, directories walked (sorted) for `*.yaml`, `*.yml`, `*.json`; `.` when empty.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let roots = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let mut out = Vec::new();
    for root in roots {
        walk(&root, &mut out)?;
    }
    Ok(out)
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n == "target");
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
            out.push(p);
        }
    }
    Ok(())
}

/// `schema [-o FILE]`.
pub(crate) fn schema(ctx: &mut Ctx<'_>, a: &SchemaArgs) -> CliResult {
    let text = trainyard::model::schema_text();
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
            writeln!(ctx.err, "wrote {}", path.display())?;
        }
        None => write!(ctx.out, "{text}")?,
    }
    Ok(EXIT_OK)
}
