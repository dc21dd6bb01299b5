#!/usr/bin/env bash
# The main job: set up, then run gomem. With no arguments it runs the seed scenario
# (../shared/reference/seed-scenario.md): the seed's program simulated on Go 1.15 with
# gctrace, then the same program on Go 1.27 under GOMEMLIMIT=3GiB.
# With arguments, they are passed to gomem: scripts/run.sh explain trace.log
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -gt 0 ]; then
  exec .venv/bin/gomem "$@"
fi
exec .venv/bin/gomem seed
