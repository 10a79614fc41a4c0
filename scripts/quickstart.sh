#!/usr/bin/env bash
# Installs dependencies, builds, and shows the storage engine at work.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

warehouse_install_deps
warehouse_build build
