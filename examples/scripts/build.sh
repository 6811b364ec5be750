#!/bin/sh
# Builds a hotfix artifact (simulated) and reports its name.
set -eu
version="${1:?usage: build.sh <version>}"
echo "building $version  # simulated"
echo "artifact=app-$version.tgz" >> "${TRAINYARD_OUTPUT:-/dev/null}"
