#!/bin/sh
# Cuts the release branch (simulated): prints what it does and reports the commit it cut.
# Usage: cut-branch.sh <branch>
set -eu
branch="${1:?usage: cut-branch.sh <branch>}"
commit=$(printf '%s' "$branch" | cksum | cut -c1-7)
echo "git checkout -b $branch origin/main  # simulated"
echo "commit=$commit" >> "${TRAINYARD_OUTPUT:-/dev/null}"
