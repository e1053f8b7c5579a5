#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine (as root), then run every test:
# ruff (lint and format) and mypy --strict over backend, tests and bench, the frontend's type
# check, unit tests and build, and pytest (API, runtime on real tmux and Docker, supervisor with
# the real Claude Code CLI, browser). scripts/check.sh is the fast tier of the same checks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTIFACTS=${AUTOCODE_TEST_ARTIFACTS:-$ROOT/test-artifacts}
mkdir -p "$ARTIFACTS"
step() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }

step "system packages"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  pkgs=(tmux git procps iproute2 rsync shellcheck ca-certificates docker.io debootstrap chromium caddy fonts-dejavu-core)
  command -v node >/dev/null || pkgs+=(nodejs npm)
  python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
  apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

step "python environment"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

step "lint, format and types: ruff and mypy --strict over backend, tests and bench"
.venv/bin/ruff check backend tests bench
.venv/bin/ruff format --check backend tests bench
.venv/bin/mypy --strict backend/autocode tests bench

step "claude code cli (pinned)"
npm --prefix tools/claude-code ci --no-audit --no-fund --loglevel=error
export PATH="$ROOT/tools/claude-code/node_modules/.bin:$PATH"
claude --version

step "frontend: install, type check, unit tests, build, size budget"
npm --prefix frontend ci --no-audit --no-fund --loglevel=error
npm --prefix frontend run typecheck
npm --prefix frontend test
npm --prefix frontend run build
npm --prefix frontend run size

step "docker engine and the workspace image"
bash scripts/ensure-docker.sh
bash deploy/workspace/build-offline.sh

step "pytest"
export AUTOCODE_TEST_ARTIFACTS="$ARTIFACTS"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
echo "screenshots and other test artifacts: $ARTIFACTS"
step "done"
exit "$rc"
