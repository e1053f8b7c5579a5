"""One contract, both runtimes: real tmux on the host and real tmux in a real container."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from autocode.runtime import (
    InvalidName,
    PathOutsideWorkspace,
    Runtime,
    SessionExists,
    SessionNotFound,
    make_runtime,
    session_name,
    target,
)
from autocode.runtime.base import TmuxResult, TmuxRuntime
from tests.conftest import wait_until as eventually

SHELL = ["bash", "--noprofile", "--norc", "-i"]
PROMPT = {"PS1": "$ "}


def workdir(rt: Runtime, username: str, slug: str = "p1") -> Path:
    assert isinstance(rt, TmuxRuntime)
    return rt.workspace(username) / "projects" / slug


def shell(rt: Runtime, username: str, slug: str = "p1", **kwargs: Any) -> str:
    """Start a plain bash with a `$ ` prompt; return the session:window target."""
    session = session_name(username, slug)
    env = {**PROMPT, **kwargs.pop("env", {})}
    rt.create_session(
        username, session, window="main", command=SHELL, cwd=workdir(rt, username, slug), env=env, **kwargs
    )
    tgt = target(session, "main")
    eventually(lambda: rt.capture(username, tgt).rstrip().endswith("$"))
    return tgt


def run(rt: Runtime, username: str, tgt: str, line: str) -> None:
    """Type a command line and press Enter (text and Enter apart, as for Claude Code)."""
    rt.send_text(username, tgt, line)
    rt.send_keys(username, tgt, "Enter")


def test_create_send_text_and_see_it(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    tgt = shell(runtime, user)
    assert runtime.has_session(user, session_name(user, "p1"))
    assert runtime.has_window(user, session_name(user, "p1"), "main")
    assert not runtime.has_window(user, session_name(user, "p1"), "mai")
    run(runtime, user, tgt, "echo hello-$((6*7)); pwd")
    screen = eventually(lambda: (s := runtime.capture(user, tgt)) and "hello-42" in s and s)
    cwd = "/workspace/projects/p1" if runtime.kind == "docker" else str(workdir(runtime, user))
    assert cwd in screen
    info = runtime.pane_info(user, tgt)
    assert not info.dead and info.current_command == "bash" and info.pid


def test_login_shell_when_no_command(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    session = session_name(user, "p1")
    runtime.create_session(user, session, window="sh", command=None, cwd=workdir(runtime, user))
    tgt = target(session, "sh")
    run(runtime, user, tgt, "shopt -q login_shell && echo login-yes")
    eventually(lambda: "login-yes" in runtime.capture(user, tgt).replace("echo login-yes", ""))


def test_named_keys_interrupt_a_command(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    tgt = shell(runtime, user)
    run(runtime, user, tgt, "sleep 100")
    eventually(lambda: runtime.pane_info(user, tgt).current_command == "sleep")
    runtime.send_keys(user, tgt, "C-c")
    eventually(lambda: runtime.pane_info(user, tgt).current_command == "bash")
    # C-u clears a half-typed line.
    runtime.send_text(user, tgt, "echo never")
    runtime.send_keys(user, tgt, "C-u")
    run(runtime, user, tgt, "echo after-$((1+1))")
    screen = eventually(lambda: (s := runtime.capture(user, tgt)) and "after-2" in s and s)
    assert "never" not in screen


def test_history_is_captured(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    tgt = shell(runtime, user, rows=20)
    run(runtime, user, tgt, "seq 1 300 | sed 's/^/n/'; echo done-seq")
    eventually(lambda: "\ndone-seq" in runtime.capture(user, tgt))
    visible = runtime.capture(user, tgt).splitlines()
    full = runtime.capture(user, tgt, history=1000).splitlines()
    assert "n1" not in visible and "n300" in visible
    assert "n1" in full and "n150" in full and "n300" in full
    coloured = runtime.capture(user, tgt, escapes=True)
    assert "n300" in coloured


def test_resize_is_seen_by_the_program(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    tgt = shell(runtime, user, cols=90, rows=30)
    info = runtime.pane_info(user, tgt)
    assert (info.width, info.height) == (90, 30)
    runtime.resize(user, tgt, cols=123, rows=41)
    run(runtime, user, tgt, 'echo "size=$(tput cols)x$(tput lines)"')
    eventually(lambda: "size=123x41" in runtime.capture(user, tgt))
    info = runtime.pane_info(user, tgt)
    assert (info.width, info.height) == (123, 41)


def test_pane_death_is_detected(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    session = session_name(user, "p1")
    runtime.create_session(
        user,
        session,
        window="agent",
        command=["sh", "-c", "echo last-words; read x; exit 3"],
        cwd=workdir(runtime, user),
    )
    tgt = target(session, "agent")
    eventually(lambda: "last-words" in runtime.capture(user, tgt))
    assert not runtime.pane_info(user, tgt).dead
    runtime.send_keys(user, tgt, "Enter")
    # tmux marks the pane dead a moment before it records the exit status: wait for both.
    info = eventually(lambda: (i := runtime.pane_info(user, tgt)) and i.dead and i.dead_status is not None and i)
    assert info.dead_status == 3 and info.pid is None
    # tmux scrolls the dead pane's last screen into the history to print its notice.
    assert "last-words" in runtime.capture(user, tgt, history=200)
    assert "Pane is dead" in runtime.capture(user, tgt)
    assert runtime.has_window(user, session, "agent")


def test_every_pane_death_reports_its_exit_status(runtime: Runtime, new_user: Callable[[], str]) -> None:
    """tmux 3.3a now and then misses a pane process's exit (~1 in 25 here): the status
    must still come, every time."""
    user = new_user()
    rounds = 40 if runtime.kind == "local" else 10
    for n in range(rounds):
        assert _exit_status_of_a_pane(runtime, user, f"d{n}") == 7, n


def _exit_status_of_a_pane(runtime: Runtime, user: str, name: str) -> int | None:
    """Run a pane that exits 7 when told to, and read its status once tmux has it."""
    session = session_name(user, name)
    runtime.create_session(
        user,
        session,
        window="agent",
        command=["sh", "-c", "echo up; read x; exit 7"],
        cwd=workdir(runtime, user, name),
    )
    tgt = target(session, "agent")
    eventually(lambda: "up" in runtime.capture(user, tgt))
    runtime.send_keys(user, tgt, "Enter")
    info = eventually(
        lambda: (i := runtime.pane_info(user, tgt)) and i.dead and i.dead_status is not None and i, timeout=5
    )
    runtime.kill_session(user, session)
    status: int | None = info.dead_status
    return status


def test_a_pane_killed_by_a_signal_says_which(
    runtime: Runtime, new_user: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No exit status then, and no reason to prod tmux for one on every look."""
    assert isinstance(runtime, TmuxRuntime)
    user = new_user()
    session = session_name(user, "p1")
    runtime.create_session(
        user, session, window="agent", command=["sh", "-c", "echo up; exec sleep 100"], cwd=workdir(runtime, user)
    )
    tgt = target(session, "agent")
    eventually(lambda: runtime.pane_info(user, tgt).current_command == "sleep")
    runtime.send_keys(user, tgt, "C-c")  # SIGINT to the pane's process
    info = eventually(
        lambda: (
            (i := runtime.pane_info(user, tgt))
            and i.dead
            and (i.dead_signal is not None or i.dead_status is not None)
            and i
        )
    )
    assert (info.dead_status, info.dead_signal) == (None, 2)
    spy = _ArgvSpy(runtime)
    monkeypatch.setattr(runtime, "_tmux", spy)
    for _ in range(3):
        assert runtime.pane_info(user, tgt).dead_signal == 2
    assert [c[0] for c in spy.calls] == ["list-panes"] * 3


def test_two_creators_of_one_session_at_once(runtime: Runtime, new_user: Callable[[], str]) -> None:
    """Two viewers opening a new project's terminal together: one session, one window."""
    user = new_user()
    for n in range(3):
        session = session_name(user, f"r{n}")
        assert sorted(_create_twice_at_once(runtime, user, session, f"r{n}")) == ["created", "exists"]
        assert runtime.list_windows(user, session) == ["shell"]


def _create_twice_at_once(runtime: Runtime, user: str, session: str, name: str) -> list[str]:
    """Two threads create one session together; what each was told ("created" or "exists")."""
    outcomes: list[str] = []

    def create() -> None:
        try:
            runtime.create_session(
                user,
                session,
                window="shell",
                command=None,
                cwd=workdir(runtime, user, name),
                env={"PROMPT_DIRTRIM": "2"},
            )
            outcomes.append("created")
        except SessionExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_single_word_command_runs_without_a_shell(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    session = session_name(user, "p1")
    runtime.create_session(user, session, window="cat", command=["cat"], cwd=workdir(runtime, user))
    tgt = target(session, "cat")
    eventually(lambda: runtime.pane_info(user, tgt).current_command == "cat")
    runtime.paste(user, tgt, "pasted line one\npasted line two\n")
    screen = eventually(lambda: (s := runtime.capture(user, tgt)) and s.count("pasted line two") >= 2 and s)
    assert screen.count("pasted line one") >= 2  # the tty echo and cat's copy
    runtime.send_keys(user, tgt, "Escape", "7", "Enter")
    eventually(lambda: "^[7" in runtime.capture(user, tgt))
    # A trailing ";" is a command separator to tmux: it still arrives as typed.
    runtime.send_text(user, tgt, "semi;")
    runtime.send_text(user, tgt, "back\\;")
    runtime.send_keys(user, tgt, ";", "Enter")
    eventually(lambda: runtime.capture(user, tgt).count("semi;back\\;;") == 2)
    # Text longer than one tmux message goes in pieces, in order.
    long_text = "".join(f"{i:04d}é" for i in range(500)) + "END"  # < the tty line limit
    runtime.send_text(user, tgt, long_text)
    runtime.send_keys(user, tgt, "Enter")
    eventually(lambda: runtime.capture(user, tgt, history=500).replace("\n", "").count(long_text) == 2)


def test_windows_sessions_list_and_kill(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    assert runtime.list_sessions(user) == []
    one, two = session_name(user, "one"), session_name(user, "two")
    for session in (one, two):
        runtime.create_session(
            user, session, window="main", command=["sleep", "300"], cwd=workdir(runtime, user, "one")
        )
    assert sorted(runtime.list_sessions(user)) == sorted([one, two])
    with pytest.raises(SessionExists):
        runtime.create_session(user, one, window="main", command=["sleep", "300"], cwd=workdir(runtime, user, "one"))
    runtime.new_window(user, one, window="logs", command=["sleep", "300"], cwd=workdir(runtime, user, "one"))
    assert runtime.list_windows(user, one) == ["main", "logs"]
    with pytest.raises(SessionExists):
        runtime.new_window(user, one, window="logs", command=None, cwd=workdir(runtime, user, "one"))
    runtime.kill_window(user, target(one, "logs"))
    runtime.kill_window(user, target(one, "logs"))  # idempotent
    assert runtime.list_windows(user, one) == ["main"]
    runtime.kill_session(user, two)
    runtime.kill_session(user, two)
    assert runtime.list_sessions(user) == [one]
    assert not runtime.has_session(user, two)
    # A prefix of a name never reaches another session.
    assert not runtime.has_session(user, one[:-1])
    with pytest.raises(SessionNotFound):
        runtime.capture(user, target(two, "main"))
    with pytest.raises(SessionNotFound):
        runtime.send_text(user, target(one, "mai"), "x")
    with pytest.raises(SessionNotFound):
        runtime.pane_info(user, target(one, "nope"))
    runtime.kill_session(user, one)
    assert runtime.list_sessions(user) == []


def test_users_do_not_see_each_other(runtime: Runtime, new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()
    tgt = shell(runtime, alice)
    session = session_name(alice, "p1")
    assert runtime.list_sessions(bob) == []
    assert not runtime.has_session(bob, session)
    with pytest.raises(SessionNotFound):
        runtime.capture(bob, tgt)
    with pytest.raises(SessionNotFound):
        runtime.send_text(bob, tgt, "echo intruder")
    shell(runtime, bob, "p1")
    assert runtime.list_sessions(bob) == [session_name(bob, "p1")]
    assert runtime.list_sessions(alice) == [session]
    runtime.stop_user(bob)
    assert runtime.has_session(alice, session)


def test_stop_and_start_again(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    shell(runtime, user)
    assert runtime.user_is_up(user)
    runtime.stop_user(user)
    runtime.stop_user(user)
    assert not runtime.user_is_up(user)
    assert runtime.list_sessions(user) == []
    assert not runtime.has_session(user, session_name(user, "p1"))
    tgt = shell(runtime, user)  # comes back on demand
    run(runtime, user, tgt, "echo back-again")
    eventually(lambda: "\nback-again" in runtime.capture(user, tgt))
    assert runtime.user_is_up(user)
    assert runtime.idle_seconds(user) is not None


def test_names_and_paths_are_checked(runtime: Runtime, new_user: Callable[[], str], tmp_path: Path) -> None:
    user = new_user()
    cwd = workdir(runtime, user)
    for bad in ("a.b", "a:b", "a b", "-x", "", "x" * 65, "a;b", "é", "a\nb"):
        with pytest.raises(InvalidName) as caught:
            runtime.create_session(user, bad, window="w", command=None, cwd=cwd)
        assert isinstance(caught.value, ValueError)
        with pytest.raises(ValueError):
            runtime.create_session(user, "ok", window=bad, command=None, cwd=cwd)
        with pytest.raises(ValueError):
            runtime.list_sessions(bad) if bad else runtime.ensure_user(bad)
    with pytest.raises(InvalidName):
        runtime.send_keys(user, "s:w", "Enter; kill-server")
    with pytest.raises(InvalidName):
        runtime.create_session(user, "ok", window="w", command=None, cwd=cwd, env={"BAD-NAME": "x"})
    for outside in (tmp_path / "elsewhere", cwd / ".." / ".." / ".." / "other"):
        with pytest.raises(PathOutsideWorkspace):
            runtime.create_session(user, "ok", window="w", command=None, cwd=outside)
        with pytest.raises(PathOutsideWorkspace):
            runtime.runtime_path(user, outside)
    inside = runtime.runtime_path(user, cwd / ".claude" / "settings.json")
    expected = "/workspace/projects/p1" if runtime.kind == "docker" else str(cwd.resolve())
    assert inside == f"{expected}/.claude/settings.json"
    assert runtime.list_sessions(user) == []


class _ArgvSpy:
    """Records every argv the runtime hands to its one tmux call site."""

    def __init__(self, rt: TmuxRuntime) -> None:
        self.calls: list[list[str]] = []
        self.stdin_seen = False
        self._inner = rt._tmux

    def __call__(
        self, username: str, args: Sequence[str], *, stdin: bytes | None = None, secrets: Sequence[str] = ()
    ) -> TmuxResult:
        self.calls.append(list(args))
        self.stdin_seen = self.stdin_seen or stdin is not None
        return self._inner(username, args, stdin=stdin, secrets=secrets)


def _cmdlines() -> Iterator[str]:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    yield fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue


def test_secrets_reach_the_environment_not_any_command_line(
    runtime: Runtime,
    new_user: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    assert isinstance(runtime, TmuxRuntime)
    user = new_user()
    secret = f'sk-{uuid.uuid4().hex} it\'s "quoted" $HOME ;#{{pane_id}} ~'
    spy = _ArgvSpy(runtime)
    monkeypatch.setattr(runtime, "_tmux", spy)
    caplog.set_level(logging.DEBUG, logger="autocode.runtime")

    # Watch every command line on the machine (containers' processes included) meanwhile.
    leaks: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            leaks.extend(line for line in _cmdlines() if secret[:35] in line)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        session = session_name(user, "p1")
        runtime.create_session(
            user,
            session,
            window="agent",
            cwd=workdir(runtime, user),
            command=["sh", "-c", "env | grep '^AUTOCODE_TEST_SECRET='; exec sleep 300"],
            env={"AUTOCODE_TEST_SECRET": secret, "OTHER": "plain"},
        )
        tgt = target(session, "agent")
        eventually(lambda: f"AUTOCODE_TEST_SECRET={secret}" in runtime.capture(user, tgt))
        runtime.new_window(
            user,
            session,
            window="second",
            cwd=workdir(runtime, user),
            command=["sh", "-c", 'echo "second=$AUTOCODE_TEST_SECRET2"; ps -eo args; echo ps-done; exec sleep 300'],
            env={"AUTOCODE_TEST_SECRET2": secret},
        )
        second = target(session, "second")
        eventually(lambda: "\nps-done" in runtime.capture(user, second, history=5000))
        # ps inside the runtime (the container's own view) shows no value either.
        ps_view = runtime.capture(user, second, history=5000)
        assert f"second={secret}" in ps_view
        ps_view = ps_view.replace(f"second={secret}", "")
        assert "sleep 300" in ps_view and secret[:35] not in ps_view
        # The values belong to their window only: not to the session, nor to later windows.
        shown = runtime._tmux(user, ["show-environment", "-t", f"={session}"])
        assert shown.returncode == 0 and "AUTOCODE_TEST_SECRET" not in shown.stdout
        runtime.new_window(
            user,
            session,
            window="third",
            cwd=workdir(runtime, user),
            command=["sh", "-c", 'echo "third=[$AUTOCODE_TEST_SECRET]"; exec sleep 300'],
        )
        eventually(lambda: "third=[]" in runtime.capture(user, target(session, "third")))
        assert runtime.list_windows(user, session) == ["agent", "second", "third"]
    finally:
        stop.set()
        watcher.join(5)
    host_ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert secret[:35] not in host_ps
    assert leaks == []
    assert spy.stdin_seen and spy.calls
    assert not any(secret[:35] in word for call in spy.calls for word in call)
    for record in caplog.records:
        assert secret[:35] not in record.getMessage() + repr(record.__dict__)
    # ...and in no file of the data dir.
    data_dir = Path(runtime.data_dir)  # type: ignore[attr-defined]
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert secret[:35].encode() not in path.read_bytes()
    # The runtime refuses to put a value on a command line, even by mistake.
    with pytest.raises(Exception, match="environment value"):
        runtime._tmux(user, ["display-message", "-p", secret], secrets=[secret])


def test_attach_argv_gives_a_working_terminal(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    tgt = shell(runtime, user)
    run(runtime, user, tgt, "echo attach-$((40+2))")
    eventually(lambda: "\nattach-42" in runtime.capture(user, tgt))
    for readonly in (True, False):
        argv = runtime.attach_argv(user, session_name(user, "p1"), readonly=readonly)
        assert ("-r" in argv) is readonly
        screen = _read_through_pty(argv, "attach-42")
        assert "attach-42" in screen


def test_viewers_of_two_windows_see_their_own_and_leave_nothing_behind(
    runtime: Runtime, new_user: Callable[[], str]
) -> None:
    assert isinstance(runtime, TmuxRuntime)
    user = new_user()
    session = session_name(user, "p1")
    tgt = shell(runtime, user)
    runtime.new_window(user, session, window="agent", command=SHELL, cwd=workdir(runtime, user, "p1"), env=PROMPT)
    eventually(lambda: runtime.capture(user, target(session, "agent")).rstrip().endswith("$"))
    run(runtime, user, tgt, "echo main-$((40+2))")
    run(runtime, user, target(session, "agent"), "echo agent-$((40+3))")
    eventually(lambda: "agent-43" in runtime.capture(user, target(session, "agent")))
    agent = runtime.attach_argv(user, session, window="agent", readonly=True)
    screen = _read_through_pty(agent, "agent-43")
    assert "agent-43" in screen and "main-42" not in screen
    main = runtime.attach_argv(user, session, window="main", readonly=True)
    assert "main-42" in _read_through_pty(main, "main-42")
    # viewers' sessions never count as the user's sessions, and end with the project's session
    assert runtime.list_sessions(user) == [session]
    if runtime.kind == "local":
        # ...and with their clients. (In docker, killing `docker exec` leaves the tmux client in
        # the container running: a known gap of every attach there, viewer or not.)
        eventually(lambda: runtime._tmux(user, ["list-sessions", "-F", "#{session_name}"]).stdout.split() == [session])
    runtime.kill_session(user, session)
    assert runtime.list_sessions(user) == []
    assert runtime._tmux(user, ["list-sessions", "-F", "#{session_name}"]).stdout.split() == []


def _read_through_pty(argv: list[str], wanted: str, timeout: float = 15.0) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    env["TERM"] = "xterm-256color"
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + timeout
        while wanted.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        return seen.decode("utf-8", "replace")
    finally:
        proc.kill()
        proc.wait(10)
        os.close(master)


def test_factory_and_availability(tmp_path: Path) -> None:
    rt = make_runtime("local", data_dir=tmp_path)
    assert rt.kind == "local" and rt.availability().ok
    with pytest.raises(ValueError):
        make_runtime("kubernetes", data_dir=tmp_path)


@pytest.mark.docker
def test_docker_availability(runtime: Runtime) -> None:
    report = runtime.availability()
    assert report.ok, report.detail


def test_long_socket_paths_fall_back_to_a_short_dir(tmp_path: Path) -> None:
    from autocode.runtime.local import LocalRuntime

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    rt = LocalRuntime(data_dir=deep)
    user = f"t{uuid.uuid4().hex[:10]}"
    sock = rt.socket_path(user)
    assert len(os.fsencode(sock)) < 108 and not str(sock).startswith(str(deep))
    try:
        rt.create_session(
            user,
            session_name(user, "p"),
            window="w",
            command=["sleep", "60"],
            cwd=rt.workspace(user) / "projects" / "p",
        )
        assert rt.list_sessions(user) == [session_name(user, "p")]
        assert (os.stat(sock.parent).st_mode & 0o777) == 0o700
    finally:
        rt.remove_user(user)
    assert not sock.exists()


def test_environment_and_arguments_arrive_exactly(runtime: Runtime, new_user: Callable[[], str]) -> None:
    user = new_user()
    values = [
        "".join(chr(c) for c in range(1, 128)),
        "é ✓ 🙂 #{session_name} ~ ~/x %if ; {x} \\; '\" $HOME `id`",
        "a\n    indented\n\ttab\n",
        "ends with backslash\\",
        "",
    ]
    env = {f"AUTOCODE_V{i}": v for i, v in enumerate(values)}
    code = (
        "import os, json, sys, time\n"
        "if True:\n"
        "    env = {k: v for k, v in os.environ.items() if k.startswith('AUTOCODE_V')}\n"
        "print(json.dumps({'env': env, 'argv': sys.argv[1:]}))\n"
        "time.sleep(300)"
    )
    session = session_name(user, "p1")
    runtime.create_session(
        user,
        session,
        window="w",
        env=env,
        cwd=workdir(runtime, user),
        command=["python3", "-c", code, *values],
        cols=250,
        rows=100,
    )
    screen = eventually(lambda: (s := runtime.capture(user, target(session, "w"))) and s.rstrip().endswith("}") and s)
    got = json.loads(screen.replace("\n", ""))
    assert got["env"] == env
    assert got["argv"] == values


def test_local_sessions_are_real_tmux_sessions(tmp_path: Path) -> None:
    """An independent client (libtmux) sees what the local runtime made, on its own socket."""
    import libtmux

    from autocode.runtime.local import LocalRuntime

    rt = LocalRuntime(data_dir=tmp_path / "data")
    user = f"t{uuid.uuid4().hex[:10]}"
    try:
        rt.create_session(
            user,
            session_name(user, "p1"),
            window="agent",
            command=["sleep", "300"],
            cwd=rt.workspace(user) / "projects" / "p1",
            cols=120,
            rows=40,
        )
        server = libtmux.Server(socket_path=str(rt.socket_path(user)))
        assert [s.session_name for s in server.sessions] == [session_name(user, "p1")]
        window = server.sessions[0].windows[0]
        assert window.window_name == "agent"
        assert window.show_option("remain-on-exit", global_=True) in (True, "on")
        assert (int(window.window_width or 0), int(window.window_height or 0)) == (120, 40)
    finally:
        rt.remove_user(user)


def test_run_a_command_to_its_end_in_the_users_environment(runtime: Runtime, new_user: Callable[[], str]) -> None:
    """One-off commands (a clone): argv, stdin, environment and folder as given, the sessions'
    user, the exit status and the output's end; killed at the time limit."""
    user = new_user()
    cwd = workdir(runtime, user)
    result = runtime.run(
        user,
        ["bash", "-c", 'read -r line; echo "$line/$GREETING/$(pwd)/$(id -u)"; exit 3'],
        cwd=cwd,
        timeout=30,
        env={"GREETING": "hi"},
        stdin=b"from-stdin\n",
    )
    expected_uid = 1000 if runtime.kind == "docker" and os.geteuid() == 0 else os.geteuid()
    assert result.returncode == 3 and not result.timed_out
    assert result.output.strip() == f"from-stdin/hi/{runtime.runtime_path(user, cwd)}/{expected_uid}"
    # the argument after `--` stays one word, whatever it holds
    odd = runtime.run(user, ["printf", "%s|", "--", "a b; $(id)"], cwd=cwd, timeout=30)
    assert odd.output == "--|a b; $(id)|" and odd.returncode == 0

    started = time.monotonic()
    slow = runtime.run(user, ["sleep", "60"], cwd=cwd, timeout=2)
    assert slow.timed_out and time.monotonic() - started < 20
    with pytest.raises(PathOutsideWorkspace):
        runtime.run(user, ["true"], cwd=Path("/etc"), timeout=5)
