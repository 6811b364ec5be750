# Python package `trainyard` (bindings-python): build with maturin, test with pytest + mypy stubtest.
# Included by the top-level Makefile; run from the repository root. Works on a fresh machine with only
# python3 and cargo: every Python tool goes into $(VENV), nothing is installed globally.
#
#   make python-test    venv + tools, build and install the extension (release), pytest, stubtest, mypy --strict
#   make python-build   a distributable abi3 wheel in target/wheels/
#   make python-develop build and install the extension into $(VENV) only

VENV ?= .venv
PYTHON ?= python3
PY_CRATE := bindings-python
PY_MANIFEST := $(PY_CRATE)/Cargo.toml
# PyYAML (+ its stubs for mypy --strict) reads the shared scenario vectors in testdata/scenarios/.
PY_TOOLS := 'maturin>=1.9.4,<2' 'pytest>=7' 'mypy>=1.10' 'PyYAML>=6' 'types-PyYAML>=6' 'python-dateutil>=2.8.2' 'types-python-dateutil>=2.8' 'icalendar>=6' 'recurring-ical-events>=3' 'vobject>=0.9.7'
PY_STUBTEST = $(VENV)/bin/python -m mypy.stubtest trainyard --allowlist $(PY_CRATE)/stubtest-allowlist.txt
PY_MYPY = $(VENV)/bin/python -m mypy --strict --cache-dir /dev/null $(PY_CRATE)/python/trainyard $(PY_CRATE)/tests
# Written once the tools are installed; delete it (or the venv) to reinstall them.
PY_TOOLS_STAMP := $(VENV)/.trainyard-python-tools

.PHONY: python-venv python-develop python-build python-test python-stubtest demo-python

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(PY_TOOLS_STAMP): $(VENV)/bin/python $(PY_CRATE)/pyproject.toml mk/python.mk
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	touch $@

## The virtualenv with maturin, pytest, mypy and PyYAML.
python-venv: $(PY_TOOLS_STAMP)

## Build the extension (release) and install the package into $(VENV), editable: the Python sources
## in bindings-python/python are used in place, the compiled module is copied next to them.
python-develop: $(PY_TOOLS_STAMP)
	VIRTUAL_ENV="$(abspath $(VENV))" $(VENV)/bin/maturin develop --release --locked -m $(PY_MANIFEST)

## A distributable wheel (abi3, CPython >= 3.9) in target/wheels/.
python-build: $(PY_TOOLS_STAMP)
	$(VENV)/bin/maturin build --release --locked -m $(PY_MANIFEST) --out target/wheels

## The stubs (_native.pyi and the _native_*.pyi it re-exports from) against the compiled module, and the package and tests under mypy --strict.
python-stubtest: python-develop
	$(PY_STUBTEST)
	$(PY_MYPY)

## pytest over bindings-python/tests (with RUST_LOG empty: the log tests read the default filter),
## then the stub and type checks.
python-test: python-develop
	RUST_LOG= $(VENV)/bin/python -m pytest -q $(PY_CRATE)/tests
	$(PY_STUBTEST)
	$(PY_MYPY)

## The main example from Python: the two-week release train (examples/python/release_train.py).
demo-python: python-develop
	$(VENV)/bin/python examples/python/release_train.py
