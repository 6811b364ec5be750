# Benchmarks: `make bench` runs the criterion benches of the core; `make bench-peers` runs the
# side-by-side comparison with SpiffWorkflow (Python: memory, SQLite, PostgreSQL with the pgbench
# floor) and bpmn-engine (Node: memory, SQLite; and Node's time per instance against Python's of the
# same run). PostgreSQL is measured when TRAINYARD_TEST_POSTGRES is set. Results and the exact
# commands are kept in benches/RESULTS.md.

PEERS := benches/peers
PEERS_VENV := $(PEERS)/.venv
PEERS_N ?= 2000
# Where the Python harness leaves its figures for the Node harness (same run).
PEERS_RESULTS ?= $(abspath target/bench-peers/python.json)

.PHONY: bench bench-peers bench-peers-python bench-peers-node bench-scale bench-feed bench-inbox-search bench-doctor

## One million releases in SQLite: create them, query a month of the calendar, report memory.
bench-scale:
	$(CARGO) run --release -p trainyard-examples --example scale -- 1000000

## The change feed on SQLite (and PostgreSQL with TRAINYARD_TEST_POSTGRES set): entries per second
## written, read and watched from another process, and the commit-to-watch latency (median, p99).
FEED_ENTRIES ?= 5000
FEED_SAMPLES ?= 500
bench-feed:
	$(CARGO) run --release --locked -p trainyard-examples --example feed_bench -- $(FEED_ENTRIES) $(FEED_SAMPLES)
## Inbox and search over one million releases in SQLite: first page and a deep cursor, in ms.
INBOX_SEARCH_N ?= 1000000
bench-inbox-search:
	$(CARGO) run --release -p trainyard-examples --example inbox_search -- $(INBOX_SEARCH_N)

## The doctor over 100,000 releases in SQLite: `Engine::doctor` and `trainyard doctor` (its progress
## bar on a terminal) side by side (median of DOCTOR_RUNS), then 1% made stuck and `doctor --repair`.
DOCTOR_N ?= 100000
DOCTOR_RUNS ?= 3
bench-doctor:
	$(CARGO) run --release --locked -p trainyard-examples --example doctor_bench -- $(DOCTOR_N) $(DOCTOR_RUNS)

bench:
	$(CARGO) bench -p trainyard

$(PEERS_VENV)/.installed: $(PEERS)/python_peers.py
	python3 -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/pip install --quiet SpiffWorkflow==3.2.0 'maturin>=1.9.4,<2'
	touch $@

bench-peers-python: $(PEERS_VENV)/.installed
	VIRTUAL_ENV=$(abspath $(PEERS_VENV)) $(PEERS_VENV)/bin/maturin develop --release --locked -m bindings-python/Cargo.toml
	PEERS_RESULTS=$(PEERS_RESULTS) $(PEERS_VENV)/bin/python $(PEERS)/python_peers.py $(PEERS_N)

$(PEERS)/node_modules/.package-lock.json: $(PEERS)/package.json $(PEERS)/package-lock.json
	cd $(PEERS) && npm ci --no-audit --no-fund

bench-peers-node: $(PEERS)/node_modules/.package-lock.json node-build
	PEERS_RESULTS=$(PEERS_RESULTS) node --expose-gc $(PEERS)/node_peers.mjs $(PEERS_N)

bench-peers: bench-peers-python bench-peers-node
