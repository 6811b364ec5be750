"""engine.metrics(): the core's metrics snapshot, with the same fields as Node's metrics()."""

import trainyard as ty

FIELDS = [
    "commands",
    "conflicts_retried",
    "timers_fired",
    "jobs_claimed",
    "lease_expiries",
    "command_latency",
    "timer_lag",
    "feed_lag",
    "notification_lag",
    "queue_depth",
]


def test_metrics_count_commands_jobs_and_queue_depth() -> None:
    engine = ty.Engine.in_memory()
    engine.register_executor("build", lambda job: {"artifact": "app.tgz"})
    engine.register_process(
        "id: m\nphases:\n  - id: a\n    activities:\n"
        "      - { id: b, kind: automated, executor: build, outputs: [artifact] }\n"
        "      - { id: c, kind: automated, executor: remote }\n"
    )
    rita = ty.Actor("rita", roles=["account_release_manager"])
    release = engine.create_release("m", name="r", actor=rita)
    engine.activate(release.id, actor=rita)
    engine.run_until_idle()
    m = engine.metrics()
    assert list(m) == FIELDS
    assert m["jobs_claimed"] == 1  # `remote` has no in-process executor: its job waits
    assert m["queue_depth"] == {"remote": 1}
    assert m["commands"] >= 3
    latency = m["command_latency"]
    assert latency["count"] == m["commands"] and latency["sum_seconds"] > 0
    assert [b["le"] for b in latency["buckets"]][:3] == [0.0001, 0.0005, 0.001]
    counts = [b["count"] for b in latency["buckets"]]
    assert counts == sorted(counts) and counts[-1] <= latency["count"]
    text = engine.prometheus_text()
    assert 'trainyard_queue_depth{executor="remote"} 1\n' in text
    assert "trainyard_jobs_claimed_total 1\n" in text
