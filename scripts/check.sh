#!/usr/bin/env bash
# The fast tier, for before every commit: no root, no Docker, no browser, a couple of minutes.
# ruff (lint and format) and mypy --strict over backend, tests and bench, the unit tests, and
# the frontend's type check and unit tests. scripts/test.sh installs everything and runs it all.
# Needs the dev environment: python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' and
# npm --prefix frontend ci.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }

if [ ! -x .venv/bin/python ] || [ ! -d frontend/node_modules ]; then
  echo "set up first: python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'; npm --prefix frontend ci" >&2
  exit 2
fi

step "ruff check"
.venv/bin/ruff check backend tests bench
step "ruff format --check"
.venv/bin/ruff format --check backend tests bench
step "mypy --strict backend tests bench"
.venv/bin/mypy --strict backend/autocode tests bench
step "unit tests"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/unit
step "frontend: type check"
npm --prefix frontend run typecheck
step "frontend: unit tests"
npm --prefix frontend test
step "done"
