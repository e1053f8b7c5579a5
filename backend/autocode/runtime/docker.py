"""The Docker runtime: one container per user from the workspace image, tmux inside."""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.types import Mount
from docker.utils.socket import frames_iter

from autocode.core import files
from autocode.core.layout import Layout
from autocode.runtime import egress, proc_collect
from autocode.runtime.base import (
    Availability,
    CommandFailed,
    CommandResult,
    Dialed,
    RuntimeUnavailable,
    SessionNotFound,
    TmuxResult,
    TmuxRuntime,
    check_loopback,
    keep_tail,
    tree_rel,
    validate_env,
    validate_name,
    viewer_commands,
)

logger = logging.getLogger(__name__)

# Untyped in docker's stubs: give it the signature it has.
_frames_iter: Callable[[Any, bool], Iterator[tuple[int, bytes]]] = frames_iter

CONTAINER_WORKSPACE = PurePosixPath("/workspace")
CONTAINER_HOME = "/home/autocode"
CONTAINER_SOCKET = "/tmp/autocode-tmux.sock"
USER_LABEL = "autocode.user"
ROLE_LABEL = "autocode.role"  # "firewall": the short-lived helper that installs a container's rules
DATA_LABEL = "autocode.data"  # which AutoCode instance (data dir) owns the container
WORKSPACE_UID = 1000  # the `autocode` user of the image
# PID 1 of the container: reaps orphans (tmux daemonises into one) and stops at once on TERM.
_KEEPALIVE = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"
_EXEC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The preview's channel into a container: a relay on the exec's stdin/stdout to a loopback
# port there. The server joins no network of the container's and dials no address of it.
_RELAY = """# autocode-preview-relay
import os, socket, sys, threading
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.settimeout(None)
def up():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        s.sendall(data)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=up, daemon=True).start()
out = sys.stdout.buffer
while True:
    data = s.recv(65536)
    if not data:
        break
    out.write(data)
    out.flush()
"""


def container_name(username: str) -> str:
    """The name of a user's container."""
    return f"autocode-{validate_name(username, 'username')}"


def network_name(username: str) -> str:
    """The name of a user's own bridge network (no other container joins it)."""
    return f"autocode-net-{validate_name(username, 'username')}"


def host_addresses() -> list[str]:
    """The host's own IPv4 addresses (a container must not reach the host by its public address)."""
    found: list[str] = []
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(
                    sock.fileno(),
                    0x8915,  # SIOCGIFADDR
                    name[:15].encode().ljust(256, b"\0"),
                )
            except OSError:
                continue  # no IPv4 address on that interface
            found.append(socket.inet_ntoa(packed[20:24]))
    return found


def _host_nameservers() -> list[str]:
    try:
        return egress.nameservers(Path("/etc/resolv.conf").read_text())
    except OSError:
        return []


def _parse_docker_time(value: str) -> float | None:
    """Epoch seconds of a Docker timestamp (nanosecond precision, Z suffix)."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", value or "")
    if not match or match.group(1).startswith("0001"):
        return None
    stamp = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    fraction = float(f"0.{match.group(2)}") if match.group(2) else 0.0
    return stamp.timestamp() + fraction


class DockerRuntime(TmuxRuntime):
    """Each user gets container `autocode-{username}`; only their directory is mounted."""

    kind = "docker"

    def __init__(
        self,
        *,
        data_dir: Path,
        image: str = "autocode-workspace:latest",
        memory: str = "2g",
        cpus: float = 2.0,
        pids: int = 512,
        network: str | None = None,
        egress_allow: Sequence[str] = (),
        read_only: bool = True,
        tmpfs_size: str = "1g",
        client: docker.DockerClient | None = None,
        docker_cli: str = "docker",
        timeout: float = 15.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.image = image
        self.memory = memory
        self.cpus = cpus
        self.pids = pids
        # None (default): the user's own bridge network `autocode-net-{user}` plus an egress
        # firewall (runtime/egress.py): DNS and the public internet, nothing private unless
        # allowed (`egress_allow`, e.g. "host-gateway:4000" for a model gateway on the host).
        # A named network ("bridge", an admin's own) gets the same firewall. "host" shares the
        # host's network (development and tests only: production settings refuse it).
        self.network = network
        self.egress_allow = egress.parse_allow(egress_allow)
        self.read_only = read_only
        self.tmpfs_size = tmpfs_size
        self.docker_cli = docker_cli
        self.timeout = timeout
        # As root we hand the user's files to the image's uid 1000; a non-root server runs
        # containers as itself, since it owns the files and cannot give them away.
        euid = os.geteuid()
        self.uid = WORKSPACE_UID if euid == 0 else euid
        self.gid = WORKSPACE_UID if euid == 0 else os.getegid()
        self._client = client
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._last_call: dict[str, float] = {}

    # -- plumbing ------------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        """The Docker client, made on first use (never at import time)."""
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=int(max(self.timeout, 30)))
            except DockerException as exc:
                raise RuntimeUnavailable(f"docker engine unreachable: {exc}") from exc
        return self._client

    def _lock(self, username: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(username, threading.Lock())

    @property
    def firewalled(self) -> bool:
        """Whether containers get the egress firewall (every mode but host/none/container:)."""
        mode = self.network or ""
        return mode not in ("host", "none") and not mode.startswith("container:")

    def _network_mode(self, username: str) -> str:
        return self.network or network_name(username)

    def _file_lock(self, username: str) -> int:
        """An exclusive lock shared with the supervisors (other processes): until a started
        container has its firewall, nobody else sees it running and execs into it."""
        path = Layout(self.data_dir).docker_lock(validate_name(username, "username"))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def workspace(self, username: str) -> Path:
        """The user's directory on the host (mounted at /workspace)."""
        return Layout(self.data_dir).user_dir(validate_name(username, "username"))

    def runtime_path(self, username: str, path: Path) -> str:
        """The container path of a host path inside the user's directory (/workspace/...)."""
        rel = tree_rel(self.workspace(username), path)
        return str(CONTAINER_WORKSPACE.joinpath(*rel.parts))

    def _workdir(self, username: str, cwd: Path) -> str:
        root = self.workspace(username)
        rel = tree_rel(root, cwd)
        files.ensure_root(root)
        owner = self._owner()
        tree = files.Tree(root)
        tree.ensure_dir(rel, owner=owner)
        if owner is not None:
            # Files the server seeded there (settings, hooks) become the container user's.
            tree.chown_tree(rel, owner)
        return str(CONTAINER_WORKSPACE.joinpath(*rel.parts))

    def _owner(self) -> tuple[int, int] | None:
        """Who owns what the server creates in a user's tree (None: we cannot chown)."""
        return (self.uid, self.gid) if os.geteuid() == 0 else None

    def _exec_env(self) -> dict[str, str]:
        home = CONTAINER_HOME if self.uid == WORKSPACE_UID else str(CONTAINER_WORKSPACE)
        return {"PATH": _EXEC_PATH, "HOME": home, "SHELL": "/bin/bash", "LANG": "C.UTF-8", "USER": "autocode"}

    # -- the one place tmux is called ----------------------------------------------------

    def _tmux(
        self, username: str, args: Sequence[str], *, stdin: bytes | None = None, secrets: Sequence[str] = ()
    ) -> TmuxResult:
        argv = ["tmux", "-S", CONTAINER_SOCKET, "-f", "/dev/null", *args]
        self._check_argv(argv, secrets)
        return self._exec(username, argv, stdin=stdin)

    def _exec(self, username: str, argv: Sequence[str], *, stdin: bytes | None = None) -> TmuxResult:
        """Run one fixed argv in the user's container as its user (tmux, our /proc reader)."""
        name = container_name(username)
        started = time.monotonic()
        api = self.client.api
        try:
            exec_id: str = api.exec_create(
                name,
                list(argv),
                stdout=True,
                stderr=True,
                stdin=stdin is not None,
                user=f"{self.uid}:{self.gid}",
                environment=self._exec_env(),
                workdir=str(CONTAINER_WORKSPACE),
            )["Id"]
            if stdin is None:
                out, err = api.exec_start(exec_id, demux=True)
            else:
                out, err = self._exec_with_stdin(exec_id, stdin)
            rc = self._exit_code(exec_id)
        except NotFound:
            return TmuxResult(1, "", f"no server running: no container {name}")
        except APIError as exc:
            if exc.status_code == 409:
                return TmuxResult(1, "", f"no server running: container {name} is not running")
            raise CommandFailed("docker exec failed", stderr=str(exc)) from exc
        except (DockerException, OSError) as exc:
            raise CommandFailed("docker exec failed", stderr=str(exc)) from exc
        self._last_call[username] = time.time()
        result = TmuxResult(rc, (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"))
        logger.debug(
            "docker exec",
            extra={
                "user": username,
                "container": name,
                "argv": [w[:60] for w in list(argv)[:7]],
                "rc": rc,
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return result

    def run(
        self,
        username: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
        stdin: bytes = b"",
    ) -> CommandResult:
        """`docker exec` in the user's container as its user, bounded by `timeout` inside it."""
        words = list(argv)
        if not words or any("\x00" in w for w in words):
            raise CommandFailed("command must be a non-empty list of arguments")
        values = validate_env(env or {})
        self.ensure_user(username)
        workdir = self._workdir(username, cwd)
        limit = max(1, int(timeout))
        # coreutils' timeout in the container: TERM at the limit, KILL 5 s later.
        command = ["timeout", "-k", "5", str(limit), *words]
        api = self.client.api
        try:
            exec_id: str = api.exec_create(
                container_name(username),
                command,
                stdout=True,
                stderr=True,
                stdin=True,
                user=f"{self.uid}:{self.gid}",
                environment={**self._exec_env(), **values},
                workdir=workdir,
            )["Id"]
            sock: Any = api.exec_start(exec_id, socket=True)
            raw: socket.socket = getattr(sock, "_sock", sock)
            output = bytearray()
            try:
                raw.settimeout(limit + 30)
                if stdin:
                    raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)
                for _stream, chunk in _frames_iter(raw, False):
                    keep_tail(output, chunk)
            finally:
                sock.close()
            rc = self._exit_code(exec_id)
        except (APIError, DockerException, OSError) as exc:
            raise CommandFailed("docker exec failed", stderr=str(exc)) from exc
        self._last_call[username] = time.time()
        logger.info("command run", extra={"user": username, "argv0": words[0], "rc": rc})
        return CommandResult(rc, output.decode("utf-8", "replace"), timed_out=rc in (124, 137))

    def _exec_with_stdin(self, exec_id: str, data: bytes) -> tuple[bytes | None, bytes | None]:
        sock: Any = self.client.api.exec_start(exec_id, socket=True)
        raw: socket.socket = getattr(sock, "_sock", sock)
        try:
            raw.settimeout(self.timeout)
            raw.sendall(data)
            # Half-close: the process sees end of input, the output still comes back.
            raw.shutdown(socket.SHUT_WR)
            out, err = bytearray(), bytearray()
            for stream_id, chunk in _frames_iter(raw, False):
                (err if stream_id == 2 else out).extend(chunk)
            return bytes(out), bytes(err)
        finally:
            sock.close()

    def _exit_code(self, exec_id: str) -> int:
        deadline = time.monotonic() + self.timeout
        while True:
            info = self.client.api.exec_inspect(exec_id)
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            if time.monotonic() > deadline:
                raise CommandFailed("tmux did not finish in time")
            time.sleep(0.01)

    # -- containers ----------------------------------------------------------------------

    def container(self, username: str) -> Container | None:
        """The user's container, or None."""
        try:
            return self.client.containers.get(container_name(username))
        except NotFound:
            return None
        except DockerException as exc:
            raise RuntimeUnavailable(f"docker engine unreachable: {exc}") from exc

    def _create(self, username: str) -> Container:
        home_opts = f"rw,nosuid,nodev,size={self.tmpfs_size},mode=0700,uid={self.uid},gid={self.gid}"
        kwargs: dict[str, Any] = {}
        if self.read_only:
            kwargs["read_only"] = True
            kwargs["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,size={self.tmpfs_size},mode=1777", CONTAINER_HOME: home_opts}
        if self.network is None:
            # The host as this network's gateway: the address the firewall knows as the host.
            kwargs["extra_hosts"] = {"host.docker.internal": self._ensure_network(username)}
        elif self.firewalled:
            kwargs["extra_hosts"] = {"host.docker.internal": "host-gateway"}
        name = container_name(username)
        try:
            created: Container = self.client.containers.create(
                self.image,
                command=["/bin/bash", "-c", _KEEPALIVE],
                name=name,
                hostname=name[:63],
                user=f"{self.uid}:{self.gid}",
                working_dir=str(CONTAINER_WORKSPACE),
                environment={"HOME": self._exec_env()["HOME"], "LANG": "C.UTF-8"},
                labels={USER_LABEL: username, DATA_LABEL: str(self.data_dir)},
                mounts=[Mount(target=str(CONTAINER_WORKSPACE), source=str(self.workspace(username)), type="bind")],
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                mem_limit=self.memory,
                memswap_limit=self.memory,
                nano_cpus=int(self.cpus * 1e9),
                pids_limit=self.pids,
                network_mode=self._network_mode(username),
                stop_signal="SIGTERM",
                **kwargs,
            )
        except ImageNotFound as exc:
            raise RuntimeUnavailable(f"workspace image {self.image} not found (build deploy/workspace)") from exc
        except APIError as exc:
            if exc.status_code == 409:  # another process created it first
                existing = self.container(username)
                if existing is not None:
                    return existing
            raise CommandFailed("container create failed", stderr=str(exc)) from exc
        logger.info("container created", extra={"user": username, "container": name, "image": self.image})
        return created

    def _outdated(self, found: Container, username: str) -> bool:
        mode = found.attrs.get("HostConfig", {}).get("NetworkMode")
        if mode != self._network_mode(username):
            return True  # made before per-user networks, or the setting changed
        try:
            wanted = self.client.images.get(self.image).id
            return bool(found.image is None or found.image.id != wanted)
        except (ImageNotFound, NotFound):
            return False

    # -- networks and the egress firewall ------------------------------------------------

    def _ensure_network(self, username: str) -> str:
        """The user's own bridge, without inter-container traffic (made on first use); its gateway."""
        name = network_name(username)
        try:
            network = self.client.networks.get(name)
        except NotFound:
            try:
                network = self.client.networks.create(
                    name,
                    driver="bridge",
                    check_duplicate=True,
                    options={"com.docker.network.bridge.enable_icc": "false"},
                    labels={USER_LABEL: username, DATA_LABEL: str(self.data_dir)},
                )
            except APIError as exc:
                if exc.status_code != 409:  # another process made it a moment ago
                    raise CommandFailed("network create failed", stderr=str(exc)) from exc
                network = self.client.networks.get(name)
            logger.info("network created", extra={"user": username, "network": name})
        network.reload()
        for config in network.attrs.get("IPAM", {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
        raise CommandFailed(f"network {name} has no gateway")

    def _gateway(self, found: Container) -> str:
        networks: dict[str, Any] = found.attrs.get("NetworkSettings", {}).get("Networks", {}) or {}
        for settings in networks.values():
            gateway = str(settings.get("Gateway") or "")
            if gateway:
                return gateway
        raise CommandFailed(f"container {found.name} has no gateway")

    def firewall_rules(self, found: Container) -> tuple[str, str]:
        """The iptables-restore inputs (IPv4, IPv6) for this container's namespace."""
        v4 = egress.rules_v4(
            gateway=self._gateway(found),
            nameservers=_host_nameservers(),
            host_addresses=host_addresses(),
            allow=self.egress_allow,
        )
        return v4, egress.rules_v6()

    def _install_firewall(self, username: str, found: Container) -> None:
        """Install the egress rules from a helper sharing the container's network namespace.

        The helper has NET_ADMIN and nothing else; the user's container has no capabilities at
        all, so nothing in it can change or remove the rules. Fails closed: the caller stops
        the container when this raises.
        """
        found.reload()
        v4, v6 = self.firewall_rules(found)
        script = 'printf "%s" "$RULES4" | iptables-restore && printf "%s" "$RULES6" | ip6tables-restore'
        helper: Container | None = None
        try:
            helper = self.client.containers.run(
                self.image,
                command=["/bin/sh", "-c", script],
                detach=True,
                user="0:0",
                network_mode=f"container:{found.id}",
                cap_drop=["ALL"],
                cap_add=["NET_ADMIN", "NET_RAW"],
                security_opt=["no-new-privileges"],
                environment={"RULES4": v4, "RULES6": v6},
                labels={ROLE_LABEL: "firewall", USER_LABEL: username, DATA_LABEL: str(self.data_dir)},
                mem_limit="64m",
                pids_limit=32,
            )
            status = helper.wait(timeout=max(self.timeout, 30))
            code = int(status.get("StatusCode", 1))
            if code != 0:
                output = helper.logs().decode("utf-8", "replace")[-2000:]
                raise CommandFailed(f"firewall for {found.name} failed ({code})", stderr=output)
        except ImageNotFound as exc:
            raise RuntimeUnavailable(f"workspace image {self.image} not found") from exc
        except (APIError, DockerException, OSError) as exc:
            raise CommandFailed(f"firewall for {found.name} failed", stderr=str(exc)) from exc
        finally:
            if helper is not None:
                try:
                    helper.remove(force=True)
                except DockerException:
                    pass
        logger.info("firewall installed", extra={"user": username, "container": found.name})

    def ensure_user(self, username: str) -> None:
        """Create (first use), upgrade (when stopped and the image changed) and start it."""
        workspace = self.workspace(username)
        with self._lock(username):
            lock_fd = self._file_lock(username)
            try:
                self._ensure_user_locked(username, workspace)
            finally:
                os.close(lock_fd)

    def _ensure_user_locked(self, username: str, workspace: Path) -> None:
        files.ensure_root(workspace)
        ids = self._owner()
        if ids is not None and os.lstat(workspace)[4:6] != ids:
            os.chown(workspace, *ids, follow_symlinks=False)
        found = self.container(username)
        owner = None if found is None else found.labels.get(DATA_LABEL)
        if found is not None and owner != str(self.data_dir):
            # Its /workspace would be another instance's (or nobody's) directory.
            raise CommandFailed(
                f"container {found.name} belongs to another data dir ({owner or 'none'}); remove it or rename the user"
            )
        if found is not None and found.status == "running":
            return
        if found is not None and self._outdated(found, username):
            found.remove(force=True)
            logger.info("container replaced", extra={"user": username})
            found = None
        if found is None:
            found = self._create(username)
        try:
            found.start()
        except APIError as exc:
            raise CommandFailed("container start failed", stderr=str(exc)) from exc
        if self.firewalled:
            try:
                self._install_firewall(username, found)
            except (CommandFailed, RuntimeUnavailable):
                found.stop(timeout=1)  # fail closed: no container without its firewall
                raise
        logger.info("container started", extra={"user": username, "container": found.name})

    def user_is_up(self, username: str) -> bool:
        """Whether the user's container runs."""
        found = self.container(username)
        return found is not None and found.status == "running"

    def stop_user(self, username: str) -> None:
        """Stop the user's container (its sessions end, its files stay). Idempotent."""
        found = self.container(username)
        if found is not None and found.status == "running":
            found.stop(timeout=5)
            logger.info("container stopped", extra={"user": username})

    def remove_user(self, username: str) -> None:
        """Remove the user's container (never their files). Idempotent."""
        found = self.container(username)
        if found is not None:
            try:
                found.remove(force=True)
            except NotFound:
                pass
            logger.info("container removed", extra={"user": username})
        try:
            self.client.networks.get(network_name(username)).remove()
        except NotFound:
            pass
        except APIError as exc:  # still in use (a helper ending): the next removal retries
            logger.warning("network not removed", extra={"user": username, "error": str(exc)})

    def availability(self) -> Availability:
        """Whether the engine answers and the workspace image exists."""
        try:
            self.client.ping()
            self.client.images.get(self.image)
        except RuntimeUnavailable as exc:
            return Availability(False, self.kind, str(exc))
        except ImageNotFound:
            return Availability(False, self.kind, f"image {self.image} not found")
        except DockerException as exc:
            return Availability(False, self.kind, f"docker engine unreachable: {exc}")
        return Availability(True, self.kind, f"docker engine up, image {self.image}")

    def attach_argv(
        self, username: str, session: str, *, window: str | None = None, readonly: bool = False
    ) -> list[str]:
        """`docker exec -it -u <uid> autocode-{user} tmux ... attach-session -t =session`."""
        return [
            self.docker_cli,
            "exec",
            "-it",
            "-u",
            f"{self.uid}:{self.gid}",
            "-e",
            "TERM=xterm-256color",
            container_name(username),
            "tmux",
            "-S",
            CONTAINER_SOCKET,
            *viewer_commands(session, window, readonly=readonly),
        ]

    def dial(self, username: str, address: str, port: int) -> Dialed:
        """A relay to a loopback port inside the user's container, over `docker exec` stdio."""
        check_loopback(address, port)
        argv = ["/usr/bin/python3", "-I", "-c", _RELAY, address, str(port)]
        api = self.client.api
        try:
            exec_id: str = api.exec_create(
                container_name(username),
                argv,
                stdin=True,
                stdout=True,
                stderr=True,
                user=f"{self.uid}:{self.gid}",
                environment=self._exec_env(),
                workdir=str(CONTAINER_WORKSPACE),
            )["Id"]
            wrapper: Any = api.exec_start(exec_id, socket=True)
        except NotFound as exc:
            raise SessionNotFound(f"no container for {username}") from exc
        except (DockerException, OSError) as exc:
            raise CommandFailed("docker exec failed", stderr=str(exc)) from exc
        self._last_call[username] = time.time()
        raw: socket.socket = getattr(wrapper, "_sock", wrapper)
        return Dialed(raw, framed=True, owner=wrapper)

    def idle_seconds(self, username: str) -> float | None:
        """Seconds since the last sign of use (session output, our calls, start); None if down."""
        found = self.container(username)
        if found is None or found.status != "running":
            return None
        # Asking tmux is a call too: keep this check from counting as use.
        last_call = self._last_call.get(username)
        activity = self._session_activity(username)
        if last_call is None:
            self._last_call.pop(username, None)
        else:
            self._last_call[username] = last_call
        stamps = [
            activity,
            last_call,
            _parse_docker_time(str(found.attrs.get("State", {}).get("StartedAt", ""))),
        ]
        latest = max((s for s in stamps if s is not None), default=time.time())
        return max(0.0, time.time() - latest)

    def stop_idle_users(self, max_idle_seconds: float) -> list[str]:
        """Stop the containers idle for longer than that; return their usernames."""
        stopped: list[str] = []
        mine: dict[str, Any] = {"label": [USER_LABEL, f"{DATA_LABEL}={self.data_dir}"]}
        for found in self.client.containers.list(filters=mine):
            username = str(found.labels.get(USER_LABEL, ""))
            try:
                validate_name(username, "username")
            except ValueError:
                continue
            idle = self.idle_seconds(username)
            if idle is not None and idle > max_idle_seconds:
                self.stop_user(username)
                stopped.append(username)
        return stopped

    # -- processes: read inside the user's container, by a fixed script of ours -------------

    def _collector(self, username: str, *args: str) -> object:
        # -I -S: no user site, no PYTHON* variables, not the working directory on the path.
        argv = ["python3", "-I", "-S", "-c", _collector_source(), *args]
        result = self._exec(username, argv)
        if result.returncode != 0:
            raise self._error(result, "process reader")
        if len(result.stdout) > _MAX_COLLECTOR_OUTPUT:
            raise CommandFailed("process reader answered too much")
        try:
            answer: object = json.loads(result.stdout)
        except ValueError as exc:
            raise CommandFailed("process reader answered no JSON") from exc
        return answer

    def _proc_snapshot(self, username: str, roots: Sequence[int], sample: float) -> object:
        return self._collector(
            username, "snapshot", f"{max(0.0, min(float(sample), 2.0)):.2f}", *(str(int(pid)) for pid in roots)
        )

    def _proc_stop(self, username: str, pid: int, start_ticks: int, grace: float) -> str:
        answer = self._collector(username, "stop", str(int(pid)), str(int(start_ticks)), f"{float(grace):.2f}")
        result = answer.get("result") if isinstance(answer, dict) else None
        if result not in ("term", "kill", "gone", "alive"):
            raise CommandFailed("process reader answered no stop result")
        return str(result)


_MAX_COLLECTOR_OUTPUT = 16 << 20


@functools.cache
def _collector_source() -> str:
    """The source of runtime/proc_collect.py, run as is inside containers."""
    return Path(proc_collect.__file__).read_text(encoding="utf-8")
