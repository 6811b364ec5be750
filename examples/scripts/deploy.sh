#!/bin/sh
# Deploys a ref to an environment (simulated). Fails once for the environment named in
# FAIL_ONCE_ENV while FAIL_ONCE_FILE names a file that does not exist yet (it is created), so a
# demo can show a failure that a retry fixes.
# Usage: deploy.sh <environment> <ref>
set -eu
env="${1:?usage: deploy.sh <environment> <ref>}"
ref="${2:-HEAD}"
if [ "${FAIL_ONCE_ENV:-}" = "$env" ] && [ -n "${FAIL_ONCE_FILE:-}" ] && [ ! -e "$FAIL_ONCE_FILE" ]; then
  : > "$FAIL_ONCE_FILE"
  echo "deploy to $env failed: connection reset by the cluster API" >&2
  exit 3
fi
echo "deploying $ref to $env  # simulated"
{
  echo "url=https://$env.example.internal"
  echo "notes<<EOF"
  echo "deployed $ref"
  echo "to $env"
  echo "EOF"
} >> "${TRAINYARD_OUTPUT:-/dev/null}"
