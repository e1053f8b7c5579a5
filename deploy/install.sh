#!/usr/bin/env bash
# Install or upgrade AutoCode on a Debian/Ubuntu server, as root. Safe to run again: an upgrade
# is `git pull && deploy/install.sh`. What it does (docs/deploy.md has the whole story):
#   packages (python3-venv, tmux, git, rsync, caddy, nodejs/npm, docker.io unless --local),
#   the `autocode` system user, the code in /opt/autocode with its venv, the built PWA, the
#   pinned Claude Code CLI, /data, /etc/autocode/autocode.env with a generated secret key (made
#   once, never overwritten), the first admin (made once; the password is shown once here),
#   the systemd unit, /etc/caddy/Caddyfile for the domain, then (re)starts both services.
#
# Usage: deploy/install.sh --domain autocode.example.com [--local] [--admin-username NAME]
#   The Docker runtime (one container per user, its own network, an egress firewall) is the
#   default: it is what isolates users from each other and from the server (docs/security.md).
#   --local            the local runtime instead (no Docker): every account's shell runs as the
#                      service user, so in production only admins may use it
#   --docker           the default, accepted for older instructions
# Test and packaging options:
#   --root DIR         install under DIR instead of / (or AUTOCODE_INSTALL_ROOT); touches nothing
#                      outside DIR: no user is made, files belong to --user (default: you)
#   --user NAME        the service account (default autocode)
#   --skip-apt         do not install system packages
#   --skip-systemctl   do not reload, enable or restart services
#   --skip-npm         do not build the PWA or install the Claude Code CLI (npm registry)
set -euo pipefail
umask 022

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${AUTOCODE_INSTALL_ROOT:-}
DOMAIN=${AUTOCODE_DOMAIN:-}
ADMIN_USERNAME="admin"
SERVICE_USER=
WITH_DOCKER=1
SKIP_APT=0
SKIP_SYSTEMCTL=0
SKIP_NPM=0
NODE_MIN=20.19.0

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN=${2:?--domain needs a name}; shift 2 ;;
    --domain=*) DOMAIN=${1#*=}; shift ;;
    --docker) WITH_DOCKER=1; shift ;;
    --local) WITH_DOCKER=0; shift ;;
    --admin-username) ADMIN_USERNAME=${2:?}; shift 2 ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --root=*) ROOT=${1#*=}; shift ;;
    --user) SERVICE_USER=${2:?}; shift 2 ;;
    --skip-apt) SKIP_APT=1; shift ;;
    --skip-systemctl) SKIP_SYSTEMCTL=1; shift ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

case "$DOMAIN" in
  *[!A-Za-z0-9.-]*) die "--domain '$DOMAIN' is not a host name" ;;
esac
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" != / ] || ROOT=
fi
if [ -n "$ROOT" ]; then
  # A throwaway root: never create users or touch the real system's services.
  SERVICE_USER=${SERVICE_USER:-$(id -un)}
else
  SERVICE_USER=${SERVICE_USER:-autocode}
  [ "$(id -u)" = 0 ] || die "run as root (sudo $0 ...)"
fi

APP=$ROOT/opt/autocode
VENV=$APP/.venv
DATA=$ROOT/data
ETC=$ROOT/etc/autocode
ENV_FILE=$ETC/autocode.env
STATE=$ROOT/var/lib/autocode-install
UNIT_DIR=$ROOT/etc/systemd/system
CADDY_DIR=$ROOT/etc/caddy

[ -f "$ENV_FILE" ] || [ -n "$DOMAIN" ] \
  || die "first install: pass --domain (the name whose DNS points at this server)"

have() { command -v "$1" >/dev/null 2>&1; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
node_ok() { have node && version_ge "$(node --version | tr -d v)" "$NODE_MIN"; }
env_value() {
  if [ -f "$ENV_FILE" ]; then sed -n "s/^$1=//p" "$ENV_FILE" | tail -n1; fi
}

# --- 1. system packages ---------------------------------------------------------------------
if [ "$SKIP_APT" = 0 ]; then
  say "system packages"
  export DEBIAN_FRONTEND=noninteractive
  pkgs=(python3 python3-venv tmux git rsync ca-certificates caddy sqlite3)
  have node || pkgs+=(nodejs)
  have npm || pkgs+=(npm)
  [ "$WITH_DOCKER" = 0 ] || pkgs+=(docker.io debootstrap)  # debootstrap: the offline image build
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi
for cmd in python3 tmux git rsync; do have "$cmd" || die "$cmd is missing (drop --skip-apt or install it)"; done
PYTHON=${AUTOCODE_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
"$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON must be Python >= 3.11 with venv (apt-get install python3-venv)"

# --- 2. the service account -----------------------------------------------------------------
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  [ -z "$ROOT" ] || die "user $SERVICE_USER does not exist (in --root mode pass --user of an existing account)"
  say "system user $SERVICE_USER"
  useradd --system --user-group --home-dir /data/home --no-create-home \
    --shell /usr/sbin/nologin --comment "AutoCode" "$SERVICE_USER"
fi
SERVICE_GROUP=$(id -gn "$SERVICE_USER")
if [ "$WITH_DOCKER" = 1 ] && [ -z "$ROOT" ]; then
  getent group docker >/dev/null || groupadd --system docker
  id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx docker || usermod -aG docker "$SERVICE_USER"
fi

# --- 3. the code ----------------------------------------------------------------------------
say "code in ${APP}"
install -d -m 0755 "$ROOT/opt" "$APP"
if [ "$(cd "$APP" && pwd -P)" != "$(cd "$SRC" && pwd -P)" ]; then
  # Only what git would track: .gitignore'd files (venv, node_modules, the built PWA, data)
  # are neither copied nor deleted, so the target's venv and build survive an upgrade.
  rsync -a --delete --no-owner --no-group --chmod=go-w \
    --filter=':- .gitignore' --exclude=/.git --exclude=node_modules --exclude=/build \
    --exclude='*.egg-info' --exclude=__pycache__ "$SRC/" "$APP/"
fi

# A content hash of the inputs of a step: the step runs again only when they change.
stamp_of() {
  (cd "$APP" && find "$@" -type f ! -path '*/node_modules/*' ! -path '*/__pycache__/*' \
      ! -path '*/dist/*' ! -name '*.pyc' -print0 2>/dev/null | LC_ALL=C sort -z \
      | xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1
}
step_needed() { [ "$(cat "$STATE/$1.stamp" 2>/dev/null || true)" != "$2" ]; }
step_done() { install -d -m 0755 "$STATE"; printf '%s\n' "$2" > "$STATE/$1.stamp"; }

# --- 4. python environment ------------------------------------------------------------------
[ -x "$VENV/bin/python" ] || { say "virtualenv"; "$PYTHON" -m venv "$VENV"; }
py_stamp=$(stamp_of pyproject.toml README.md backend)
if step_needed python "$py_stamp" || [ ! -x "$VENV/bin/autocode" ]; then
  say "pip install (AutoCode and its dependencies)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input "$APP"
  rm -rf "$APP/build" "$APP"/backend/*.egg-info
  step_done python "$py_stamp"
fi

# --- 5. the PWA and the Claude Code CLI -------------------------------------------------------
if [ "$SKIP_NPM" = 0 ]; then
  if ! node_ok; then
    warn "node >= $NODE_MIN is needed to build the PWA (found: $(node --version 2>/dev/null || echo none))." \
      "Install a newer nodejs (https://github.com/nodesource/distributions) and run this again."
  else
    if [ -f "$APP/frontend/package.json" ]; then
      fe_stamp=$(stamp_of frontend)
      if step_needed frontend "$fe_stamp" || [ ! -f "$APP/frontend/dist/index.html" ]; then
        say "building the PWA"
        npm --prefix "$APP/frontend" ci --no-audit --no-fund --loglevel=error
        npm --prefix "$APP/frontend" run build --silent
        step_done frontend "$fe_stamp"
      fi
    fi
    if [ -f "$APP/tools/claude-code/package.json" ]; then
      cc_stamp=$(stamp_of tools/claude-code/package.json tools/claude-code/package-lock.json)
      if step_needed claude-code "$cc_stamp" || [ ! -x "$APP/tools/claude-code/node_modules/.bin/claude" ]; then
        say "Claude Code CLI (pinned)"
        npm --prefix "$APP/tools/claude-code" ci --omit=dev --no-audit --no-fund --loglevel=error
        step_done claude-code "$cc_stamp"
      fi
    fi
  fi
fi

# --- 6. data directory ------------------------------------------------------------------------
say "data directory ${DATA}"
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_GROUP" "$DATA"
# HOME of the service (Claude Code's ~/.claude) and its /tmp (bound there by the unit).
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_GROUP" "$DATA/home" "$DATA/tmp"

# --- 7. settings: made once, never overwritten ------------------------------------------------
install -d -m 0750 -o root -g "$SERVICE_GROUP" "$ETC"
if [ ! -f "$ENV_FILE" ]; then
  [ -n "$DOMAIN" ] || die "first install: pass --domain (the name whose DNS points at this server)"
  say "settings ${ENV_FILE} (new secret key)"
  secret=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')
  runtime=local
  [ "$WITH_DOCKER" = 0 ] || runtime=docker
  claude_line="# AUTOCODE_CLAUDE_COMMAND=claude"
  [ ! -x "$APP/tools/claude-code/node_modules/.bin/claude" ] \
    || claude_line="AUTOCODE_CLAUDE_COMMAND=/opt/autocode/tools/claude-code/node_modules/.bin/claude"
  tmp_env=$(mktemp "$ETC/.autocode.env.XXXXXX")
  cat > "$tmp_env" <<EOF
# AutoCode settings, read by autocode.service (docs: README.md "Configuration").
# Made once by deploy/install.sh and never overwritten. Keep AUTOCODE_SECRET_KEY: it signs
# sessions and encrypts stored API keys; a new one logs everyone out and loses those keys.
# After a change: systemctl restart autocode (and run install.sh again for DOMAIN or PORT).
AUTOCODE_ENVIRONMENT=production
AUTOCODE_SECRET_KEY=$secret
AUTOCODE_DOMAIN=$DOMAIN
AUTOCODE_DATA_DIR=/data
AUTOCODE_HOST=127.0.0.1
AUTOCODE_PORT=8000
AUTOCODE_STATIC_DIR=/opt/autocode/frontend/dist
AUTOCODE_TRUSTED_PROXIES=127.0.0.1
AUTOCODE_RUNTIME=$runtime
# Proxy headers (X-Forwarded-For) are believed only from these addresses: Caddy, on this host.
AUTOCODE_TRUSTED_PROXIES=127.0.0.1
$claude_line
EOF
  chown "root:$SERVICE_GROUP" "$tmp_env"
  chmod 0640 "$tmp_env"
  mv "$tmp_env" "$ENV_FILE"
else
  chown "root:$SERVICE_GROUP" "$ENV_FILE"
  chmod 0640 "$ENV_FILE"
  configured=$(env_value AUTOCODE_DOMAIN)
  if [ -n "$DOMAIN" ] && [ "$DOMAIN" != "$configured" ]; then
    warn "keeping AUTOCODE_DOMAIN=$configured from $ENV_FILE (edit it there to change the domain)"
  fi
  [ "$WITH_DOCKER" = 0 ] || [ "$(env_value AUTOCODE_RUNTIME)" = docker ] \
    || warn "$ENV_FILE keeps AUTOCODE_RUNTIME=$(env_value AUTOCODE_RUNTIME):" \
      "users are not isolated; set AUTOCODE_RUNTIME=docker there (docs/security.md)"
fi
DOMAIN=$(env_value AUTOCODE_DOMAIN)
case "$DOMAIN" in
  ''|*[!A-Za-z0-9.-]*) die "AUTOCODE_DOMAIN '$DOMAIN' is not a host name" ;;
esac
PORT=$(env_value AUTOCODE_PORT); PORT=${PORT:-8000}
STATIC_DIR=$(env_value AUTOCODE_STATIC_DIR); STATIC_DIR=${STATIC_DIR:-/opt/autocode/frontend/dist}

# --- 8. the first admin, once -----------------------------------------------------------------
as_service_user() {
  if [ "$SERVICE_USER" = "$(id -un)" ]; then "$@"; else runuser -u "$SERVICE_USER" -- "$@"; fi
}
# As the service user and read-write: SQLite's -wal/-shm files must never belong to root, and
# closing the last connection removes them again.
user_count() {
  as_service_user "$VENV/bin/python" -c '
import os, sqlite3, sys
path = sys.argv[1]
count = 0
if os.path.exists(path):
    try:
        con = sqlite3.connect(path)
        count = con.execute("SELECT count(*) FROM users").fetchone()[0]
        con.close()
    except sqlite3.Error:
        pass
print(count)' "$DATA/autocode.db"
}
if [ "$(user_count)" = 0 ]; then
  say "first admin"
  # As the service user, so the database and the secret are the service's files.
  (
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    export AUTOCODE_DATA_DIR=$DATA HOME=$DATA/home
    cd "$DATA"
    as_service_user "$VENV/bin/autocode" create-admin --username "$ADMIN_USERNAME"
  ) || die "could not create the first admin"
  echo "(The password above is shown once: keep it now. Change it in the app's Settings.)"
fi

# --- 9. systemd unit ---------------------------------------------------------------------------
install -d -m 0755 "$UNIT_DIR"
cmp -s "$APP/systemd/autocode.service" "$UNIT_DIR/autocode.service" \
  || install -m 0644 "$APP/systemd/autocode.service" "$UNIT_DIR/autocode.service"

# --- 10. Caddy ---------------------------------------------------------------------------------
install -d -m 0755 "$CADDY_DIR"
caddyfile=$(mktemp)
trap 'rm -f "$caddyfile"' EXIT
sed -e "s|^{\$AUTOCODE_DOMAIN} {\$|$DOMAIN {|" \
    -e "s|{\$AUTOCODE_PORT:8000}|$PORT|g" \
    -e "s|{\$AUTOCODE_STATIC_DIR:/opt/autocode/frontend/dist}|$STATIC_DIR|g" \
    "$APP/deploy/Caddyfile" > "$caddyfile"
# Live previews, once the settings name their domain (docs/deploy.md).
PREVIEW_DOMAIN=$(env_value AUTOCODE_PREVIEW_DOMAIN)
case "$PREVIEW_DOMAIN" in
  *[!A-Za-z0-9.-]*) die "AUTOCODE_PREVIEW_DOMAIN '$PREVIEW_DOMAIN' is not a host name" ;;
esac
if [ -n "$PREVIEW_DOMAIN" ]; then
  sed -i -e "s|{\$AUTOCODE_PREVIEW_DOMAIN:preview.invalid}|$PREVIEW_DOMAIN|g" "$caddyfile"
  { echo; sed -e "s|{\$AUTOCODE_PREVIEW_DOMAIN}|$PREVIEW_DOMAIN|g" "$APP/deploy/preview.Caddyfile"; } >> "$caddyfile"
fi
grep -q "^$DOMAIN {\$" "$caddyfile" || die "deploy/Caddyfile has no {\$AUTOCODE_DOMAIN} site line"
caddy_changed=0
if ! cmp -s "$caddyfile" "$CADDY_DIR/Caddyfile"; then
  if [ -f "$CADDY_DIR/Caddyfile" ] && ! grep -q "AutoCode behind Caddy" "$CADDY_DIR/Caddyfile" \
     && [ ! -f "$CADDY_DIR/Caddyfile.before-autocode" ]; then
    cp -p "$CADDY_DIR/Caddyfile" "$CADDY_DIR/Caddyfile.before-autocode"
  fi
  if have caddy; then
    scratch=$(mktemp -d)
    HOME=$scratch XDG_DATA_HOME=$scratch XDG_CONFIG_HOME=$scratch \
      caddy validate --config "$caddyfile" --adapter caddyfile >/dev/null 2>"$scratch/err" \
      || { cat "$scratch/err" >&2; rm -rf "$scratch"; die "the generated Caddyfile does not validate"; }
    rm -rf "$scratch"
  fi
  install -m 0644 "$caddyfile" "$CADDY_DIR/Caddyfile"
  caddy_changed=1
fi

# --- 11. Docker runtime ------------------------------------------------------------------------
if [ "$WITH_DOCKER" = 1 ] && [ -z "$ROOT" ]; then
  image=$(env_value AUTOCODE_WORKSPACE_IMAGE); image=${image:-autocode-workspace:latest}
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    say "workspace image $image"
    docker build -t "$image" "$APP/deploy/workspace" \
      || AUTOCODE_WORKSPACE_IMAGE=$image sh "$APP/deploy/workspace/build-offline.sh" \
      || warn "no workspace image: see docs/deploy.md (Docker runtime)"
  fi
fi

# --- 12. services ------------------------------------------------------------------------------
if [ "$SKIP_SYSTEMCTL" = 0 ]; then
  say "services"
  systemctl daemon-reload
  systemctl enable --quiet autocode.service caddy.service
  # Running projects keep running: the unit stops only the server (KillMode=process).
  systemctl restart autocode.service
  if [ "$caddy_changed" = 1 ] || ! systemctl is-active --quiet caddy.service; then
    systemctl reload-or-restart caddy.service
  fi
  for _ in $(seq 1 60); do
    if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/api/health', timeout=2); sys.exit(0)" 2>/dev/null; then
      break
    fi
    sleep 1
  done
  systemctl is-active --quiet autocode.service \
    || die "autocode.service is not running: journalctl -u autocode -n 50"
fi

say "done"
cat <<EOF
AutoCode:       https://$DOMAIN  (DNS A/AAAA of $DOMAIN must point here; Caddy gets the certificate)
settings:       $ENV_FILE
data:           $DATA   (back up: autocode backup FILE, plus this directory)
logs:           journalctl -u autocode -f
check:          runuser -u $SERVICE_USER -- sh -c 'set -a; . /etc/autocode/autocode.env; exec /opt/autocode/.venv/bin/autocode doctor'
EOF
