# trainyard — `make test` runs everything CI runs; `make demo` runs the main example.
# Both work from a fresh clone: the Python tool chain goes into $(VENV), the Node one into
# bindings-node/node_modules; nothing is installed globally.

SHELL := /bin/bash
VENV ?= .venv
CARGO ?= cargo

.PHONY: all test lint rust-test schema demo clean
all: test

include mk/python.mk
include mk/node.mk
include mk/bench.mk
include mk/package.mk

## Everything: formatting, clippy, Rust tests, the committed schema, Python and Node suites, and
## the packages as users install them (mk/package.mk).
test: lint rust-test python-test node-test package-test

## Formatting, clippy (with `incompatible_msrv`: no API newer than rust-version) and the MSRV of
## the dependencies.
lint: msrv-check
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test -p trainyard -p trainyard-cli -p trainyard-examples
	$(CARGO) run -q -p trainyard --bin trainyard-schema -- --check

## Rewrite core/schema/process.schema.json from the model types.
schema:
	$(CARGO) run -q -p trainyard --bin trainyard-schema

## The main example.
demo:
	$(CARGO) run -q -p trainyard-examples --example demo

clean:
	$(CARGO) clean
	rm -rf $(VENV) bindings-node/node_modules
