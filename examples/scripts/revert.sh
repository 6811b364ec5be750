#!/bin/sh
# Reverts production to the previous release (simulated).
set -eu
echo "reverting ${1:-the last release}  # simulated"
