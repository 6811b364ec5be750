"""Side-by-side: the same process (start → approval → automated step → end) run N times through
SpiffWorkflow and through trainyard (in memory, on SQLite and on PostgreSQL), from Python, in one
run.

Prints instances/second and the time per instance (start to end, the approval given by a person in
between), memory per parked instance (an instance waiting at the approval, measured as resident-set
growth), and the ratio trainyard/peer. Fair by construction: every engine parses its process once,
warms up with the same number of instances, then runs the same N (PostgreSQL: `PEERS_PG_N`
instances, default min(N, 500), as every command there is a durable commit on the server).

PostgreSQL runs when `TRAINYARD_TEST_POSTGRES` is set (a fresh schema, dropped after), first with one
engine, then with `PEERS_PG_ENGINES` engines (default 4), each in its own process, on one schema,
started together (instances per second of all of them). The same run
measures the server's floor with `pgbench` (one client, one fsync'd single-row INSERT per
transaction: one round trip and one commit) and prints the trainyard instance in units of it.

With `PEERS_RESULTS` set, the results are also written there as JSON (the Node harness reads it to
print Node's time per instance against Python's of the same run).

Usage: python python_peers.py [N] (default 2000). Run by `make bench-peers`.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

HERE = Path(__file__).resolve().parent


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(name: str, start_one: Callable[[int], object], finish_one: Callable[[object], None], n: int, warmup: int) -> dict:
    """Runs `warmup` then `n` instances: first all to the approval (parked), then all to the end."""
    parked = [start_one(i) for i in range(warmup)]
    for p in parked:
        finish_one(p)
    del parked
    gc.collect()
    before = rss_bytes()
    t0 = time.perf_counter()
    parked = [start_one(warmup + i) for i in range(n)]
    t1 = time.perf_counter()
    gc.collect()
    parked_bytes = max(rss_bytes() - before, 0)
    t2 = time.perf_counter()
    for p in parked:
        finish_one(p)
    t3 = time.perf_counter()
    elapsed = (t1 - t0) + (t3 - t2)
    return {
        "engine": name,
        "n": n,
        "instances_per_s": n / elapsed,
        "us_per_instance": elapsed / n * 1e6,
        "bytes_per_parked": parked_bytes / n,
    }


def spiff(n: int, warmup: int) -> dict:
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_file(str(HERE / "release-spiff.bpmn"))
    spec = parser.get_spec("release")  # parsed once

    def start(i: int):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        return wf

    def finish(wf) -> None:
        (task,) = wf.get_tasks(state=TaskState.READY, manual=True)
        task.data["approved"] = True
        task.run()
        wf.do_engine_steps()
        assert wf.is_completed()

    return measure("SpiffWorkflow", start, finish, n, warmup)


def trainyard_run(label: str, url: str | None, n: int, warmup: int) -> dict:
    import trainyard as ty

    engine = ty.Engine.in_memory() if url is None else ty.Engine.open(url)
    engine.register_executor("deploy", lambda job: {"url": "https://prod.example"})
    engine.register_process((HERE / "release.yaml").read_text())  # validated once
    manager = ty.Actor("rita", roles=["account_release_manager"])
    approver = ty.Actor("ann", groups=["approvers"])

    def start(i: int):
        r = engine.create_release("bench-release", name=f"bench {i}", actor=manager)
        engine.activate(r.id, actor=manager)
        return r.id

    def finish(release_id) -> None:
        engine.approve(release_id, "approve", "approve", actor=approver)
        engine.run_until_idle()

    result = measure(label, start, finish, n, warmup)
    statuses = {r.status for r in engine.list_releases()}
    assert statuses == {"success"}, statuses
    return result


def postgres_floor(base: str) -> dict | None:
    """pgbench, one client for 3 s: one single-row INSERT per transaction (a round trip and an
    fsync'd commit), in a table of its own dropped after. `None` when pgbench is not installed."""
    if shutil.which("pgbench") is None or shutil.which("psql") is None:
        print("pgbench not installed: no PostgreSQL floor measured", file=sys.stderr)
        return None
    table = f"ty_peers_floor_{os.getpid()}"
    subprocess.run(["psql", base, "-qc", f"CREATE TABLE {table} (id int)"], check=True)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(f"INSERT INTO {table} VALUES (1);\n")
            script.flush()
            out = subprocess.run(["pgbench", "-n", "-c", "1", "-T", "3", "-f", script.name, base],
                                 check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["psql", base, "-qc", f"DROP TABLE {table}"], check=True)
    latency = next(line for line in out.splitlines() if line.startswith("latency average"))
    ms = float(latency.split("=")[1].split()[0])
    return {"engine": "pgbench floor (1 round trip + commit)", "us_per_commit": ms * 1000}


def postgres_run(base: str, n: int, warmup: int) -> dict:
    import trainyard._native as native

    schema = f"ty_peers_{os.getpid()}"
    url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    try:
        return trainyard_run("trainyard (postgres)", url, n, warmup)
    finally:
        native._drop_postgres_schema(url)


def postgres_engine_worker(url: str, n: int, warmup: int) -> None:
    """One engine of the several-engines run (a process of its own): warms up, says `ready`, waits
    for `go` on stdin, runs `n` instances start to end, prints the seconds it took."""
    import trainyard as ty

    engine = ty.Engine.open(url)
    engine.register_executor("deploy", lambda job: {"url": "https://prod.example"})
    engine.register_process((HERE / "release.yaml").read_text())
    manager = ty.Actor("rita", roles=["account_release_manager"])
    approver = ty.Actor("ann", groups=["approvers"])

    def one(i: int) -> None:
        r = engine.create_release("bench-release", name=f"bench {os.getpid()} {i}", actor=manager)
        engine.activate(r.id, actor=manager)
        engine.approve(r.id, "approve", "approve", actor=approver)
        engine.run_until_idle()

    for i in range(warmup):
        one(i)
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for i in range(n):
        one(warmup + i)
    print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)


def postgres_engines_run(base: str, engines: int, n: int, warmup: int) -> dict:
    """`engines` engines, each in its own process, on one PostgreSQL schema, started together:
    instances per second of all of them (every engine's `run_until_idle` may run another's job)."""
    import trainyard as ty
    import trainyard._native as native

    schema = f"ty_peers_multi_{os.getpid()}"
    url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    ty.Engine.open(url).register_process((HERE / "release.yaml").read_text())  # the schema, once
    try:
        workers = [
            subprocess.Popen([sys.executable, __file__, "--postgres-engine", url, str(n), str(warmup)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(engines)
        ]
        for w in workers:
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"
        t0 = time.perf_counter()
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        outs = [w.communicate()[0] for w in workers]
        wall = time.perf_counter() - t0
        assert all(w.returncode == 0 for w in workers), outs
        statuses = {r.status for r in ty.Engine.open(url).list_releases()}
        assert statuses == {"success"}, statuses
    finally:
        native._drop_postgres_schema(url)
    total = engines * n
    return {"engine": f"trainyard (postgres, {engines} engines)", "n": total, "instances_per_s": total / wall,
            "us_per_instance": wall / total * 1e6, "bytes_per_parked": None}


def main(argv: Iterable[str]) -> None:
    args = list(argv)
    if args[:1] == ["--postgres-engine"]:
        postgres_engine_worker(args[1], int(args[2]), int(args[3]))
        return
    n = int(args[0]) if args else 2000
    warmup = max(n // 10, 10)
    results = [spiff(n, warmup), trainyard_run("trainyard (memory)", None, n, warmup)]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            results.append(trainyard_run("trainyard (sqlite)", f"sqlite://{tmp}/bench.db", n, warmup))
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            print(f"trainyard (sqlite) not measured: {type(e).__name__}: {e}", file=sys.stderr)
    floor = None
    base = os.environ.get("TRAINYARD_TEST_POSTGRES", "").strip()
    if base:
        pg_n = int(os.environ.get("PEERS_PG_N", min(n, 500)))
        pg_warmup = max(pg_n // 10, 10)
        try:
            floor = postgres_floor(base)
            results.append(postgres_run(base, pg_n, pg_warmup))
            engines = int(os.environ.get("PEERS_PG_ENGINES", 4))
            if engines > 1:
                results.append(postgres_engines_run(base, engines, pg_n, pg_warmup))
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            print(f"trainyard (postgres) not measured: {type(e).__name__}: {e}", file=sys.stderr)
    else:
        print("TRAINYARD_TEST_POSTGRES is not set: PostgreSQL not measured", file=sys.stderr)
    peer = results[0]
    print(f"Python, N={n} (warm-up {warmup})")
    print(f"{'engine':<32} {'instances/s':>12} {'µs/instance':>12} {'bytes/parked':>13} {'speed vs peer':>14} {'memory vs peer':>15}")
    for r in results:
        speed = r["instances_per_s"] / peer["instances_per_s"]
        parked = r["bytes_per_parked"]
        if parked is None:  # the several-engines run measures throughput only
            print(f"{r['engine']:<32} {r['instances_per_s']:>12.0f} {r['us_per_instance']:>12.1f} {'—':>13} {speed:>13.2f}x {'—':>15}")
            continue
        mem = parked / peer["bytes_per_parked"] if peer["bytes_per_parked"] else float("nan")
        print(f"{r['engine']:<32} {r['instances_per_s']:>12.0f} {r['us_per_instance']:>12.1f} {parked:>13.0f} "
              f"{speed:>13.2f}x {mem:>14.2f}x")
    if floor is not None:
        print(f"{floor['engine']}: {floor['us_per_commit']:.1f} µs per commit")
        pg = next((r for r in results if r["engine"] == "trainyard (postgres)"), None)
        if pg is not None:
            pg["floor_us_per_commit"] = floor["us_per_commit"]
            print(f"trainyard (postgres): {pg['us_per_instance'] / floor['us_per_commit']:.1f} floor commits per instance")
    print(json.dumps(results))
    out = os.environ.get("PEERS_RESULTS")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
