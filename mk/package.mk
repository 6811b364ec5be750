# Packaging: trainyard as a user installs it into their own project, in each ecosystem's way.
# Included by the top-level Makefile; `make test` runs `package-test`. Works from a fresh clone:
# the Python tools go into $(VENV), the Node ones into bindings-node/node_modules (mk/python.mk,
# mk/node.mk); nothing is installed globally.
#
#   make package-test    everything below
#   make package-crate   `cargo publish --dry-run -p trainyard`: the crate packages and builds alone;
#                        then a project outside the repository uses it by path and by git
#   make package-doc     `cargo doc --no-deps -p trainyard` with warnings as errors (missing docs,
#                        broken links)
#   make package-python  the abi3 wheel and the sdist (maturin), each installed into a fresh
#                        virtualenv, and `pip install ./bindings-python` from a fresh clone: import,
#                        the README's Python examples, mypy --strict against the installed stubs
#                        (bindings-python/tests_dist; the wheel on every CPython 3.9-3.13 found)
#   make package-node    `npm pack`, installed with `npm install ./trainyard-<v>.tgz` into a fresh
#                        folder: CommonJS and ESM, the README's Node examples, tsc, the loader's
#                        error without a binary (bindings-node/tests/pack.test.mjs)
#   make msrv-check      rust-version is at least every dependency's (mk/msrv.py; part of `lint`)

.PHONY: package-test package-crate package-doc package-python package-node msrv-check

package-test: package-crate package-doc package-python package-node

## The crate as crates.io would take it (--allow-dirty: a working copy with local edits still checks),
## then a new project outside the repository depending on it by path and by git (committed HEAD).
package-crate:
	$(CARGO) publish --dry-run --locked --allow-dirty -p trainyard
	mk/rust_consumer.sh

## (The front page's example is a doc test: `make rust-test` runs it with the others.)
package-doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked -p trainyard

package-python: $(PY_TOOLS_STAMP)
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PY_CRATE)/tests_dist

package-node: node-build
	cd $(NODE_DIR) && node --test tests/pack.test.mjs

msrv-check:
	$(PYTHON) mk/msrv.py
