#!/bin/sh
# Build the workspace image without an image registry: debootstrap a Debian bookworm rootfs,
# install the same packages and the same pinned Claude Code as ./Dockerfile, `docker import` it.
# Idempotent: when the image already carries this build's content hash, it does nothing.
#   AUTOCODE_WORKSPACE_IMAGE   image to produce (default autocode-workspace:latest)
#   AUTOCODE_BUILD_CACHE       cache dir for .debs, the system packages (a week) and the rootfs
#                              (default /var/cache/autocode/workspace)
#   AUTOCODE_DEBIAN_MIRROR     Debian mirror (default: the one apt uses on this machine)
#   AUTOCODE_DEBIAN_SECURITY   security mirror (default: <mirror>-security; "none" to skip)
# Needs root, debootstrap, docker (run scripts/ensure-docker.sh first) and access to the npm registry.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE="${AUTOCODE_WORKSPACE_IMAGE:-autocode-workspace:latest}"
CACHE="${AUTOCODE_BUILD_CACHE:-/var/cache/autocode/workspace}"
SUITE=bookworm
PACKAGES="tmux git openssh-client bash ca-certificates python3 procps nodejs npm iptables"
CLAUDE_CODE_VERSION=$(sed -n 's/^ARG CLAUDE_CODE_VERSION=//p' "$HERE/Dockerfile")
[ -n "$CLAUDE_CODE_VERSION" ] || { echo "build-offline: no CLAUDE_CODE_VERSION in Dockerfile" >&2; exit 1; }

REPO="${IMAGE%:*}"
[ "$REPO" != "$IMAGE" ] || IMAGE="$IMAGE:latest"
HASH=$(cat "$HERE/build-offline.sh" "$HERE/Dockerfile" | sha256sum | cut -c1-16)
BUILD_TAG="$REPO:build-$HASH"

log() { echo "build-offline: $*" >&2; }

for tool in docker debootstrap chroot flock mountpoint sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { log "needs $tool (apt-get install docker.io debootstrap)"; exit 1; }
done

current_hash() {
    docker image inspect -f '{{ index .Config.Labels "autocode.build" }}' "$1" 2>/dev/null || true
}

if [ "$(current_hash "$IMAGE")" = "$HASH" ]; then
    log "$IMAGE is up to date ($HASH)"
    exit 0
fi

mkdir -p "$CACHE/debs"
# One build at a time (tests and the test command may both ask for the image).
exec 9>"$CACHE/lock"
flock 9
if [ "$(current_hash "$IMAGE")" = "$HASH" ]; then
    log "$IMAGE is up to date ($HASH)"
    exit 0
fi
if [ "$(current_hash "$BUILD_TAG")" = "$HASH" ]; then
    docker tag "$BUILD_TAG" "$IMAGE"
    log "tagged $BUILD_TAG as $IMAGE"
    exit 0
fi

if [ -z "${AUTOCODE_DEBIAN_MIRROR:-}" ]; then
    AUTOCODE_DEBIAN_MIRROR=$(
        { sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null
          sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)\/*[[:space:]].*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
        } | head -n 1)
fi
MIRROR="${AUTOCODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${AUTOCODE_DEBIAN_SECURITY:-$MIRROR-security}"

ROOTFS="$CACHE/rootfs-$HASH"
# Debian with the packages installed, cached per week (security updates come in weekly).
STAGE_KEY=$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" "$PACKAGES" "$(date -u +%G-%V)" \
    | sha256sum | cut -c1-16)
STAGE_TAR="$CACHE/packages-$STAGE_KEY.tar"
cleanup() {
    for m in var/cache/apt/archives dev proc; do
        if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then umount -l "$ROOTFS/$m" || true; fi
    done
}
trap cleanup EXIT INT TERM

start=$(date +%s)
if [ ! -f "$ROOTFS/.autocode-done" ]; then
    # Drop rootfs dirs of earlier builds (same content never comes back with another hash).
    for old in "$CACHE"/rootfs-*; do
        [ -d "$old" ] || continue
        for m in var/cache/apt/archives dev proc; do mountpoint -q "$old/$m" 2>/dev/null && umount -l "$old/$m"; done
        rm -rf --one-file-system "$old"
    done
    if [ -f "$STAGE_TAR" ]; then
        log "system packages from the cache ($(basename "$STAGE_TAR"))"
        mkdir -p "$ROOTFS"
        tar -C "$ROOTFS" --numeric-owner -xpf "$STAGE_TAR"
    else
        log "debootstrap $SUITE from $MIRROR"
        # debootstrap's own resolver can't handle npm's virtual dependencies: bootstrap the
        # base, then let apt inside the chroot install the packages.
        debootstrap --variant=minbase --cache-dir="$CACHE/debs" \
            "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
        mount -t proc proc "$ROOTFS/proc"
        mount --bind /dev "$ROOTFS/dev"
        mkdir -p "$CACHE/apt"
        mount --bind "$CACHE/apt" "$ROOTFS/var/cache/apt/archives"
        cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
        {
            echo "deb $MIRROR $SUITE main"
            echo "deb $MIRROR $SUITE-updates main"
            [ "$SECURITY" = none ] || echo "deb $SECURITY $SUITE-security main"
        } >"$ROOTFS/etc/apt/sources.list"
        log "apt-get install $PACKAGES"
        # shellcheck disable=SC2086
        chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
            sh -c 'apt-get update && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-unsafe-io "$@"' \
            apt-install $PACKAGES >"$CACHE/apt.log" 2>&1 \
            || { tail -n 30 "$CACHE/apt.log" >&2; exit 1; }
        cleanup
        rm -rf --one-file-system "$ROOTFS/var/cache/apt/"*.bin "$ROOTFS/var/lib/apt/lists/"*
        # Keep the system packages for the next builds of this week (then fresh updates).
        rm -f "$CACHE"/packages-*.tar
        tar -C "$ROOTFS" --numeric-owner -cf "$STAGE_TAR.tmp" . && mv "$STAGE_TAR.tmp" "$STAGE_TAR"
    fi

    mount -t proc proc "$ROOTFS/proc"
    mount --bind /dev "$ROOTFS/dev"
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    # The build host may reach the npm registry through a TLS proxy with its own CA: trust the
    # host's bundle for this one install, without putting it into the image.
    npm_env=""
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/tmp/host-ca.crt"
        npm_env="NODE_EXTRA_CA_CERTS=/tmp/host-ca.crt"
    fi
    registry="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org/}"
    log "npm install @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
    chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root $npm_env \
        npm install -g --no-audit --no-fund --no-update-notifier --registry "$registry" \
        "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >"$CACHE/npm.log" 2>&1 \
        || { tail -n 30 "$CACHE/npm.log" >&2; exit 1; }
    # npm 9 installs every Linux variant of the native binary; only glibc's is used.
    rm -rf --one-file-system "$ROOTFS"/usr/local/lib/node_modules/@anthropic-ai/claude-code/node_modules/@anthropic-ai/claude-code-*-musl
    chroot "$ROOTFS" /usr/local/bin/claude --version >&2

    chroot "$ROOTFS" useradd --create-home --uid 1000 --user-group --shell /bin/bash autocode
    mkdir -p "$ROOTFS/workspace"
    chroot "$ROOTFS" chown autocode:autocode /workspace
    cleanup
    rm -rf --one-file-system "$ROOTFS/tmp/host-ca.crt" "$ROOTFS/root/.npm" \
        "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/cache/apt/"*.bin \
        "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS/usr/share/doc" "$ROOTFS/usr/share/man" \
        "$ROOTFS/usr/share/info"
    # Docker writes its own resolv.conf / hosts / hostname at run time.
    : >"$ROOTFS/etc/resolv.conf"
    touch "$ROOTFS/.autocode-done"
    log "rootfs ready in $(( $(date +%s) - start ))s"
fi

log "docker import as $BUILD_TAG"
tar -C "$ROOTFS" --numeric-owner --exclude=./.autocode-done -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV DISABLE_AUTOUPDATER=1' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL autocode.image=workspace autocode.claude-code=$CLAUDE_CODE_VERSION autocode.build=$HASH" \
    --change 'USER autocode' \
    --change 'WORKDIR /workspace' \
    --change 'CMD ["sleep", "infinity"]' \
    - "$BUILD_TAG" >/dev/null
docker tag "$BUILD_TAG" "$IMAGE"
# Earlier builds go (an image still used by a container stays until that container goes).
docker images --format '{{.Repository}}:{{.Tag}}' "$REPO" | grep ":build-" | grep -vx "$BUILD_TAG" \
    | xargs -r docker rmi >/dev/null 2>&1 || true
log "built $IMAGE ($HASH) in $(( $(date +%s) - start ))s"
