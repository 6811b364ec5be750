//! An in-process job's outcome and its lease. A job that ran well within its lease is recorded
//! without checking its token again (nobody else can hold it: `core/tests/store_costs.rs` counts
//! the write it saves); one that outlived half its lease has its token checked first, so when
//! the lease ran out and another worker claimed the job meanwhile, that worker's delivery stands.

use std::sync::{Arc, Mutex};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{ActivityStatus, NewRelease};
use trainyard::schedule::ManualClock;
use trainyard::store::{MemoryStore, Store};

const PROCESS: &str = "id: deploy-once
phases:
  - id: deploy
    activities:
      - { id: ship, kind: automated, executor: deploy, outputs: [by] }
";

fn manager() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

#[test]
fn a_job_that_outlived_its_lease_does_not_overwrite_the_delivery_that_took_it_over() {
    let clock = Arc::new(ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap()));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let engine = Engine::new(store.clone(), clock.clone());
    let other = Arc::new(Engine::new(store, clock.clone()));
    engine.register_process(PROCESS).unwrap();
    let lease = chrono::Duration::minutes(5);
    engine.set_job_lease(lease);
    // The executor runs past its lease; meanwhile a worker of the other engine claims the job.
    let taken_over: Arc<Mutex<Option<(String, String)>>> = Arc::default();
    let (worker, slot) = (other.clone(), taken_over.clone());
    engine.register_executor("deploy", move |_: &Job| {
        clock.advance(lease + chrono::Duration::seconds(1));
        let claimed = worker.claim_jobs(&["deploy"], "worker-b", 1, lease).unwrap();
        assert_eq!(claimed.len(), 1, "the job's lease ran out: another worker claims it");
        *slot.lock().unwrap() = Some((claimed[0].job.id.clone(), claimed[0].token.clone()));
        Outcome::with_outputs([("by", "engine-a")])
    });
    let new = NewRelease { name: "once".into(), ..Default::default() };
    let id = engine.create_release("deploy-once", new, &manager()).unwrap().id;
    engine.activate(&id, &manager()).unwrap();
    engine.run_until_idle(10).unwrap();

    let ship = |e: &Engine| e.get_release(&id).unwrap().activity("deploy", "ship").cloned().unwrap();
    assert_eq!(ship(&engine).status, ActivityStatus::Running, "the late outcome was refused");
    let (job, token) = taken_over.lock().unwrap().clone().expect("the job was taken over");
    other.complete_claimed_job(&job, &token, Outcome::with_outputs([("by", "worker-b")])).unwrap();
    let done = ship(&other);
    assert_eq!(done.status, ActivityStatus::Success);
    assert_eq!(done.outputs["by"], "worker-b", "the delivery that held the lease is the one recorded");
}
