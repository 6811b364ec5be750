#!/usr/bin/env python3
"""`make msrv-check`: the workspace's `rust-version` is at least every dependency's.

Reads `cargo metadata` (locked) and compares the `rust-version` each package of the dependency
graph declares with the workspace's. Together with clippy's `incompatible_msrv` lint (on in
`make lint`, which refuses standard-library API newer than `rust-version` in our own code) this is
how the minimum Rust version is checked on a machine that has one newer toolchain only. A
dependency that declares no `rust-version` is listed, not checked.
"""

import json
import subprocess
import sys


def version(text: str) -> tuple:
    parts = [int(x) for x in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main() -> int:
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"], check=True, stdout=subprocess.PIPE
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    members = set(meta["workspace_members"])
    ours = {packages[m]["rust_version"] for m in members if packages[m]["rust_version"]}
    if len(ours) != 1:
        print(f"workspace members declare different rust-versions: {sorted(ours)}")
        return 1
    msrv = ours.pop()
    # Every package the members depend on (normal, build and dev dependencies).
    reached, todo = set(), list(members)
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    while todo:
        pid = todo.pop()
        if pid in reached:
            continue
        reached.add(pid)
        todo += [d["pkg"] for d in nodes[pid]["deps"]]
    too_new, undeclared = [], []
    for pid in sorted(reached - members, key=lambda i: packages[i]["name"]):
        p = packages[pid]
        if not p["rust_version"]:
            undeclared.append(f"{p['name']} {p['version']}")
        elif version(p["rust_version"]) > version(msrv):
            too_new.append(f"{p['name']} {p['version']} needs Rust {p['rust_version']}")
    highest = max((packages[i]["rust_version"] for i in reached - members if packages[i]["rust_version"]), key=version)
    print(f"rust-version {msrv}; the highest a dependency declares is {highest}; {len(undeclared)} declare none")
    if too_new:
        print("dependencies that need a newer Rust than rust-version:\n  " + "\n  ".join(too_new))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
