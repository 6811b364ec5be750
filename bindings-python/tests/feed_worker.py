"""A second process on the same store, for the cross-process feed tests (test_feed_processes.py).

    python feed_worker.py advance URL N       create, activate and approve N releases; print each id
    python feed_worker.py commit-and-hang URL activate one release, print its id, then wait to be killed
    python feed_worker.py consume URL NAME N  consume at most N entries as NAME, ack them, print their
                                              cursors (JSON)

Each line is flushed as soon as the commit it reports returned.
"""

import json
import sys
from typing import List

from trainyard import Actor, Engine

RITA = Actor("rita", roles=["account_release_manager"])
QUINN = Actor("quinn", groups=["qa"])
PROCESS = """
id: gated
phases:
  - id: approve
    activities:
      - { id: signoff, kind: approval, approvers: [{ group: qa }] }
"""


def advance(url: str, n: int) -> None:
    with Engine.open(url) as engine:
        engine.register_process(PROCESS)
        for i in range(n):
            r = engine.create_release("gated", name=f"r{i}", actor=RITA)
            engine.activate(r.id, actor=RITA)
            engine.approve(r.id, "approve", "signoff", actor=QUINN)
            print(r.id, flush=True)


def commit_and_hang(url: str) -> None:
    engine = Engine.open(url)
    engine.register_process(PROCESS)
    r = engine.create_release("gated", name="doomed", actor=RITA)
    engine.activate(r.id, actor=RITA)
    print(r.id, flush=True)
    sys.stdin.read()  # the parent kills this process with SIGKILL while it waits here


def consume(url: str, name: str, n: int) -> None:
    with Engine.open(url) as engine:
        page = engine.consume(name, limit=n)
        engine.ack(name, page.next)
        print(json.dumps([e.cursor for e in page.entries]), flush=True)


def main(argv: List[str]) -> None:
    command, url = argv[1], argv[2]
    if command == "advance":
        advance(url, int(argv[3]))
    elif command == "commit-and-hang":
        commit_and_hang(url)
    elif command == "consume":
        consume(url, argv[3], int(argv[4]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv)
