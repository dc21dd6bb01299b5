#!/usr/bin/env bash
# Set up everything (Python env, real Go toolchains, chromium) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --full
exec .venv/bin/python -m pytest "$@"
