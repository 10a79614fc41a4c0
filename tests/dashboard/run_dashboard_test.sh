#!/usr/bin/env bash
# Runs the dashboard's browser test: installs playwright-core with `npm ci`
# into the build directory (again only when package-lock.json changed),
# then runs dashboard_test.js against a real cluster.
#   run_dashboard_test.sh SOURCE_DIR BUILD_DIR CLUSTER_BINARY
set -euo pipefail
src="$1/tests/dashboard"
work="$2/dashboard-test"
cluster="$3"

if [ ! -x /usr/bin/chromium ]; then
  echo "dashboard test: /usr/bin/chromium is missing (apt-get install chromium;" \
       "scripts/deps.sh installs it)" >&2
  exit 1
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules/playwright-core" ] ||
   ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi
NODE_PATH="$work/node_modules" exec timeout --kill-after=10 300 \
  node "$src/dashboard_test.js" --cluster "$cluster" \
  --screenshots "$2/dashboard-screenshots"
