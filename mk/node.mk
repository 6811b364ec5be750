# Node package (bindings-node -> npm package `trainyard`), included by the top-level Makefile.
# Paths are relative to the repository root, where make runs. Needs only node/npm and cargo: the
# napi CLI and TypeScript are local devDependencies pinned by bindings-node/package-lock.json.
#
#   make node-build   install the JS tooling (npm ci) and build the addon in release mode
#   make demo-node    node-build, then examples/node/release_train.mjs (the `make demo` walkthrough)
#   make node-test    node-build, then the `node --test` suite and the `tsc` check of index.d.ts.
#                     The suite includes the shared scenario vectors, the README's Node examples and
#                     an `npm pack` of the built package installed into a fresh temporary folder, where
#                     the README examples run again (tests/pack.test.mjs; no registry access needed).
#   make chromium     apt-get install -y chromium when /usr/bin/chromium is missing (the portal's
#                     browser test drives it with playwright-core; node-test depends on it)
#   make portal       node-build, then the portal example (examples/portal) on the demo's SQLite file
#                     (target/demo/trainyard.db; `make demo` writes it when it is missing)
#   make node-bench   node-build, then bench/read_views.mjs: getRelease, history and the peer flow
#                     per call (pass other builds' index.js as arguments to compare them side by side).

NODE_DIR ?= bindings-node
NPM ?= npm
# node_modules/.package-lock.json is rewritten by every install: it stamps the installed tree.
NODE_MODULES_STAMP := $(NODE_DIR)/node_modules/.package-lock.json

.PHONY: node-deps node-build node-test node-bench chromium portal
CHROMIUM ?= /usr/bin/chromium
PORTAL_PORT ?= 8080

node-deps: $(NODE_MODULES_STAMP)

$(NODE_MODULES_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund
	@touch $@

# `napi build --platform --release` (the package's build script) runs cargo, writes
# trainyard.<platform>.node and regenerates the committed index.js and index.d.ts.
node-build: $(NODE_MODULES_STAMP)
	cd $(NODE_DIR) && $(NPM) run --silent build

node-test: node-build chromium
	cd $(NODE_DIR) && $(NPM) test
	cd $(NODE_DIR) && $(NPM) run --silent typecheck

# Debian's Chromium for tests/portal.test.mjs (CI runs as root; elsewhere run it with sudo).
chromium:
	@test -x $(CHROMIUM) || (apt-get update && apt-get install -y chromium)

# The portal on the demo's store: http://127.0.0.1:$(PORTAL_PORT)/?actor=quinn&groups=qa
portal: node-build
	@test -f target/demo/trainyard.db || $(MAKE) demo
	node examples/portal/server.mjs --url sqlite://$(CURDIR)/target/demo/trainyard.db --port $(PORTAL_PORT)

node-bench: node-build
	node $(NODE_DIR)/bench/read_views.mjs

# `make demo-node`: the two-week system release train of `make demo`, from Node
# (examples/node/release_train.mjs; writes target/demo-node/calendar.ics).
.PHONY: demo-node
demo-node: node-build
	node examples/node/release_train.mjs
