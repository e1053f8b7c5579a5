#!/bin/sh
# Build (once) a Debian bookworm image with systemd as PID 1 and what deploy/install.sh needs
# from apt, without an image registry: debootstrap + `docker import`. The image is tagged with a
# hash of this file, so a rerun with the same content is a no-op (a few milliseconds).
#   $1 / AUTOCODE_SYSTEMD_IMAGE   repository to tag (default autocode-systemd-test)
#   AUTOCODE_BUILD_CACHE          cache dir for .debs (default /var/cache/autocode/systemd-test)
#   AUTOCODE_DEBIAN_MIRROR        Debian mirror (default http://deb.debian.org/debian)
# Prints the image reference (repo:hash) on stdout. Needs root, debootstrap, docker.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO="${1:-${AUTOCODE_SYSTEMD_IMAGE:-autocode-systemd-test}}"
CACHE="${AUTOCODE_BUILD_CACHE:-/var/cache/autocode/systemd-test}"
MIRROR="${AUTOCODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What install.sh --skip-apt expects to find, plus systemd itself.
PACKAGES="systemd,systemd-sysv,dbus,python3,python3-venv,tmux,git,rsync,ca-certificates,sqlite3,caddy,procps,iproute2"
HASH=$(sha256sum <"$HERE/systemd-image.sh" | cut -c1-16)
IMAGE="$REPO:$HASH"

log() { echo "systemd-image: $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE"
    exit 0
fi
for tool in docker debootstrap flock; do
    command -v "$tool" >/dev/null 2>&1 || { log "needs $tool (apt-get install docker.io debootstrap)"; exit 1; }
done
mkdir -p "$CACHE/debs"
exec 9>"$CACHE/lock"
flock 9
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE"
    exit 0
fi
start=$(date +%s)
ROOTFS="$CACHE/rootfs-$HASH"
rm -rf --one-file-system "$CACHE"/rootfs-*
log "debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$CACHE/debs" \
    bookworm "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
# A container has no consoles, no udev, no time to sync: units that would only fail or wait.
for unit in getty@tty1.service serial-getty@.service systemd-timesyncd.service \
            apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
            systemd-networkd-wait-online.service; do
    ln -sf /dev/null "$ROOTFS/etc/systemd/system/$unit"
done
: >"$ROOTFS/etc/machine-id"
: >"$ROOTFS/etc/resolv.conf"
rm -rf --one-file-system "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/lib/apt/lists/"* \
    "$ROOTFS/usr/share/doc" "$ROOTFS/usr/share/man"
log "docker import as $IMAGE"
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/sbin/init"]' \
    --change "LABEL autocode.image=systemd-test autocode.build=$HASH" \
    - "$IMAGE" >/dev/null
rm -rf --one-file-system "$ROOTFS"
# Earlier builds of this test image go.
docker images --format '{{.Repository}}:{{.Tag}}' "$REPO" | grep -vx "$IMAGE" \
    | xargs -r docker rmi >/dev/null 2>&1 || true
log "built $IMAGE in $(( $(date +%s) - start ))s"
echo "$IMAGE"
