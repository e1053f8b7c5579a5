#!/usr/bin/env bash
# Set up and serve AutoCode on embedded defaults: SQLite in ./data, local tmux runtime,
# the built PWA at http://127.0.0.1:8000. The first start prints the admin credentials once.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for cmd in tmux git; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
  command -v node >/dev/null || missing+=(nodejs npm)
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .

if [ -f frontend/package.json ]; then
  npm --prefix frontend ci --no-audit --no-fund --loglevel=error
  npm --prefix frontend run build --silent
fi
if [ -f tools/claude-code/package.json ] && ! command -v claude >/dev/null; then
  npm --prefix tools/claude-code ci --no-audit --no-fund --loglevel=error
  export PATH="$PWD/tools/claude-code/node_modules/.bin:$PATH"
fi

exec .venv/bin/autocode serve "$@"
