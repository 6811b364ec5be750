#!/usr/bin/env bash
# `make package-crate`, second half: a new Cargo project outside the repository depends on
# trainyard the two ways the README's Install section shows (a path, and git: here the
# repository's own committed HEAD through a file:// URL) and runs the crate's first example.
# The repository's Cargo.lock is copied in, so the dependencies resolve to the tested versions
# (and CARGO_TARGET_DIR reuses what is already compiled).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/trainyard-consumer-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
# The git dependency is fetched by the git command line (it reads worktrees and local paths).
export CARGO_NET_GIT_FETCH_WITH_CLI=true

for how in path git; do
  app="$work/$how"
  mkdir -p "$app/src"
  case "$how" in
    path) dep="trainyard = { path = \"$repo/core\" }" ;;
    git) dep="trainyard = { git = \"file://$repo\" }" ;;
  esac
  cat >"$app/Cargo.toml" <<TOML
[package]
name = "consumer-$how"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$dep
TOML
  cat >"$app/src/main.rs" <<'RS'
fn main() {
    let loaded = trainyard::load_process(
        "id: hello\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: automated, executor: command }\n",
    )
    .expect("a valid process");
    let err = trainyard::load_process("id: hello\nphases:\n  - id: ship\n    depends_on: [build]\n    activities: []\n")
        .unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(|p| p.code.clone()).collect();
    println!("{} {} {}", loaded.process.id, err.code(), codes.join(","));
}
RS
  cp "$repo/Cargo.lock" "$app/Cargo.lock"
  out="$(cd "$app" && cargo run -q)"
  if [ "$out" != "hello validation unknown_dependency,empty" ]; then
    echo "consumer ($how dependency) printed: $out" >&2
    exit 1
  fi
  echo "a project depending on trainyard by $how builds and runs"
done
