//! The execution plan of a process: phases and activities by index, with dependency and dependent
//! lists computed once per process version, so every transition touches only its neighbours.

use crate::model::Process;
use std::collections::HashMap;
use std::sync::Arc;

/// A process prepared for execution. Regular phases come first (indexes `0..regular`), then the
/// rollback phases.
#[derive(Debug)]
pub struct Plan {
    /// The process definition (pinned version).
    pub process: Arc<Process>,
    /// The process version.
    pub version: u32,
    /// Every phase, regular then rollback.
    pub phases: Vec<PhasePlan>,
    /// How many of [`Plan::phases`] are regular phases.
    pub regular: usize,
    phase_index: HashMap<String, usize>,
    has_gates: bool,
}

/// One phase of a [`Plan`].
#[derive(Debug)]
pub struct PhasePlan {
    /// Phase id.
    pub id: String,
    /// Whether this is a rollback phase.
    pub rollback: bool,
    /// Whether its `run_when` is `always` or `on_failure`: it waits for every dependency to end, in
    /// any status, and is not stopped by a halt.
    pub runs_after_failure: bool,
    /// Indexes of the phases it depends on.
    pub deps: Vec<usize>,
    /// Indexes of the phases that depend on it.
    pub dependents: Vec<usize>,
    /// Its activities.
    pub activities: Vec<ActivityPlan>,
    activity_index: HashMap<String, usize>,
}

/// One activity of a [`PhasePlan`].
#[derive(Debug)]
pub struct ActivityPlan {
    /// Activity id.
    pub id: String,
    /// Indexes (within the phase) of the activities it depends on.
    pub deps: Vec<usize>,
    /// Indexes (within the phase) of the activities that depend on it.
    pub dependents: Vec<usize>,
    /// Whether its own `run_when` is `always` or `on_failure` (see [`PhasePlan::runs_after_failure`]).
    pub runs_after_failure: bool,
}

impl Plan {
    /// Builds the plan of a validated process.
    pub fn new(process: Arc<Process>, version: u32) -> Arc<Plan> {
        let regular = process.phases.len();
        let mut phases = Vec::with_capacity(regular + process.rollback.len());
        for (list, rollback) in [(&process.phases, false), (&process.rollback, true)] {
            let offset = phases.len();
            let index: HashMap<&str, usize> =
                list.iter().enumerate().map(|(i, p)| (p.id.as_str(), offset + i)).collect();
            for phase in list.iter() {
                let act_index: HashMap<String, usize> =
                    phase.activities.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
                let mut activities: Vec<ActivityPlan> = phase
                    .activities
                    .iter()
                    .map(|a| ActivityPlan {
                        id: a.id.clone(),
                        deps: a.depends_on.iter().filter_map(|d| act_index.get(d).copied()).collect(),
                        dependents: Vec::new(),
                        runs_after_failure: a.run_when().runs_after_failure(),
                    })
                    .collect();
                for i in 0..activities.len() {
                    for d in activities[i].deps.clone() {
                        activities[d].dependents.push(i);
                    }
                }
                phases.push(PhasePlan {
                    id: phase.id.clone(),
                    rollback,
                    runs_after_failure: phase.run_when().runs_after_failure(),
                    deps: phase.depends_on.iter().filter_map(|d| index.get(d.as_str()).copied()).collect(),
                    dependents: Vec::new(),
                    activities,
                    activity_index: act_index,
                });
            }
        }
        for i in 0..phases.len() {
            for d in phases[i].deps.clone() {
                phases[d].dependents.push(i);
            }
        }
        let phase_index = phases.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let has_gates = process
            .phases
            .iter()
            .chain(&process.rollback)
            .any(|p| p.activities.iter().any(|a| a.kind == crate::model::ActivityKind::Gate));
        Arc::new(Plan { process, version, phases, regular, phase_index, has_gates })
    }

    /// The index of a phase by id.
    pub fn phase_index(&self, id: &str) -> Option<usize> {
        self.phase_index.get(id).copied()
    }

    /// The definition of phase `p`.
    pub fn phase_def(&self, p: usize) -> &crate::model::Phase {
        if p < self.regular { &self.process.phases[p] } else { &self.process.rollback[p - self.regular] }
    }

    /// The definition of activity `a` of phase `p`.
    pub fn activity_def(&self, p: usize, a: usize) -> &crate::model::Activity {
        &self.phase_def(p).activities[a]
    }

    /// Whether any activity of the plan is a gate.
    pub fn has_gates(&self) -> bool {
        self.has_gates
    }
}

impl PhasePlan {
    /// The index of an activity by id.
    pub fn activity_index(&self, id: &str) -> Option<usize> {
        self.activity_index.get(id).copied()
    }
}
