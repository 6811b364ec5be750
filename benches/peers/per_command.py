"""Time per call of each command of the peer flow (create, activate, approve, run_until_idle) from
Python, in memory: 5,000 flows, twice; prints the second round's mean per call in µs. The Node
twin is `per_command.mjs`; together they show where the bindings differ on the same core.

Usage: python benches/peers/per_command.py [N]   (with the trainyard package installed)
A benchmark, not a test: nothing here asserts a timing.
"""

import sys
import time
from pathlib import Path

import trainyard as ty

HERE = Path(__file__).resolve().parent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    engine = ty.Engine.in_memory()
    engine.register_executor("deploy", lambda job: {"url": "https://prod.example"})
    engine.register_process((HERE / "release.yaml").read_text())
    manager = ty.Actor("rita", roles=["account_release_manager"])
    approver = ty.Actor("ann", groups=["approvers"])
    spent: dict[str, float] = {}
    for _ in range(2):
        spent = {"create": 0.0, "activate": 0.0, "approve": 0.0, "run": 0.0}
        for i in range(n):
            t0 = time.perf_counter()
            r = engine.create_release("bench-release", name=f"bench {i}", actor=manager)
            t1 = time.perf_counter()
            engine.activate(r.id, actor=manager)
            t2 = time.perf_counter()
            engine.approve(r.id, "approve", "approve", actor=approver)
            t3 = time.perf_counter()
            engine.run_until_idle()
            t4 = time.perf_counter()
            for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                spent[k] += dt
    parts = " ".join(f"{k} {v * 1e6 / n:.1f} µs" for k, v in spent.items())
    print(f"python: {parts}; in all {sum(spent.values()) * 1e6 / n:.1f} µs")


if __name__ == "__main__":
    main()
