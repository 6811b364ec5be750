//! `make demo`: loads the system release train of the domain reference, validates it and prints its
//! phase graph (phases in dependency order with their offsets, owners and activities).
//!
//! The full walkthrough (a release group, executors, approvals, the calendar) grows here as the
//! engine lands; today it shows what a process definition looks like to trainyard.

use std::path::PathBuf;
use trainyard::model::{Activity, ActivityKind, Phase};

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("processes/system-release-train.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    let loaded = trainyard::load_process(&text).unwrap_or_else(|e| fail(&e.to_string()));
    let p = &loaded.process;
    println!(
        "{} ({}) — {} phases, {} inputs",
        p.name.as_deref().unwrap_or(&p.id),
        p.id,
        p.phases.len(),
        p.inputs.len()
    );
    println!("inputs:");
    for (name, def) in &p.inputs {
        let req = if def.is_required() { " (required)" } else { "" };
        let default = def.default.as_ref().map(|d| format!(" = {d}")).unwrap_or_default();
        println!("  {name}: {}{req}{default}", def.ty.as_str());
    }
    println!("phase graph:");
    for phase in &p.phases {
        print_phase(phase, "  ");
    }
    if !p.rollback.is_empty() {
        println!("rollback (runs when a failure policy says rollback):");
        for phase in &p.rollback {
            print_phase(phase, "  ");
        }
    }
    for w in &loaded.warnings {
        println!("warning: {w}");
    }
}

fn print_phase(phase: &Phase, indent: &str) {
    let after = if phase.depends_on.is_empty() {
        "when the release starts".to_string()
    } else {
        format!("after {}", phase.depends_on.join(" + "))
    };
    let offset = phase.not_before.as_ref().map(|d| format!(", not before start + {d}")).unwrap_or_default();
    let critical = if phase.is_critical() { "" } else { ", non-critical" };
    let owners = if phase.owners.is_empty() { String::new() } else { format!(" [{}]", phase.owners.join(", ")) };
    println!("{indent}▸ {} — {}{offset}{critical}{owners}", phase.id, phase.name.as_deref().unwrap_or(""));
    println!("{indent}    starts {after}");
    for a in &phase.activities {
        println!("{indent}    {} {}", symbol(a), describe(a));
    }
}

fn symbol(a: &Activity) -> &'static str {
    match a.kind {
        ActivityKind::Automated => "⚙",
        ActivityKind::Approval => "✔",
        ActivityKind::Manual => "✍",
        ActivityKind::Subprocess => "↳",
        ActivityKind::Wait => "⏳",
    }
}

fn describe(a: &Activity) -> String {
    let deps = if a.depends_on.is_empty() { String::new() } else { format!(" (after {})", a.depends_on.join(", ")) };
    let detail = match a.kind {
        ActivityKind::Automated => format!("executor `{}`", a.executor.as_deref().unwrap_or("?")),
        ActivityKind::Approval => format!(
            "{} approver(s), {}",
            a.approvers.len(),
            a.min_approvals.map(|m| format!("{m:?}").to_lowercase()).unwrap_or_else(|| "1 needed".into())
        ),
        ActivityKind::Manual => format!("{} field(s)", a.fields.len()),
        ActivityKind::Subprocess => format!("process `{}`", a.process.as_deref().unwrap_or("?")),
        ActivityKind::Wait => match (&a.duration, &a.until) {
            (Some(d), _) => format!("wait {d}"),
            (_, Some(u)) => format!("wait until {u}"),
            _ => "wait".to_string(),
        },
    };
    format!("{} [{}] {detail}{deps}", a.id, a.kind.as_str())
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
