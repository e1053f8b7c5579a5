#!/bin/sh
# Make sure a Docker engine answers on this machine; start dockerd when none does.
# Idempotent: does nothing when `docker info` already works. Bounded wait.
#   AUTOCODE_DOCKERD_LOG      log file of a dockerd we start (default /var/log/autocode-dockerd.log)
#   AUTOCODE_DOCKERD_WAIT     seconds to wait for it (default 60)
#   AUTOCODE_DOCKERD_FLAGS    extra flags for dockerd (added after the detected ones)
set -eu

LOG="${AUTOCODE_DOCKERD_LOG:-/var/log/autocode-dockerd.log}"
WAIT="${AUTOCODE_DOCKERD_WAIT:-60}"

if docker info >/dev/null 2>&1; then
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    echo "ensure-docker: dockerd is not installed (apt-get install docker.io)" >&2
    exit 1
fi

if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: no Docker engine answers and starting one needs root" >&2
    exit 1
fi

# A dockerd we (or someone) started may still be coming up: wait for it instead of
# starting a second one, which would fight over /var/run/docker.pid.
running=""
if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    running=1
fi

if [ -z "$running" ]; then
    # overlay2 needs the overlay filesystem and a backing fs that supports it (ext4/xfs);
    # otherwise fall back to vfs, which works everywhere (slower, more disk).
    driver=vfs
    root_fs=$(stat -f -c %T /var/lib 2>/dev/null || echo unknown)
    if grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null; then
        case "$root_fs" in
            ext2/ext3|xfs|btrfs) driver=overlay2 ;;
        esac
    fi
    flags="--storage-driver=$driver"
    # Without a usable iptables, dockerd refuses to start; run without its NAT rules then
    # (containers keep host networking through network_mode=host).
    if ! iptables -t nat -L >/dev/null 2>&1; then
        flags="$flags --iptables=false --ip-masq=false"
    fi
    mkdir -p "$(dirname "$LOG")"
    echo "ensure-docker: starting dockerd $flags ${AUTOCODE_DOCKERD_FLAGS:-} (log: $LOG)" >&2
    # shellcheck disable=SC2086
    nohup dockerd $flags ${AUTOCODE_DOCKERD_FLAGS:-} >>"$LOG" 2>&1 </dev/null &
fi

i=0
while [ "$i" -lt "$WAIT" ]; do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    i=$((i + 1))
    sleep 1
done
echo "ensure-docker: dockerd did not answer within ${WAIT}s; last log lines:" >&2
tail -n 20 "$LOG" >&2 2>/dev/null || true
exit 1
