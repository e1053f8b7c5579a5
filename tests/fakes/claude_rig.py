"""A throw-away world for one real Claude Code session: temp dirs, fake endpoint, tmux, config.

Used by tests/supervisor and tools/claude-code/capture.py::

    rig = ClaudeRig()
    try:
        rig.fake.on_prompt("STEP-1", write("a.txt", "hi\\n"), text("done"))
        rig.launch("bypass")
        ...
    finally:
        rig.close()
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from autocode.core.files import Tree
from autocode.supervisor.claude.launch import Policy, claude_argv, claude_env, hook_command, seed_config_dir
from tests.fakes.claude_tmux import CLI, REPO, TmuxClaude
from tests.fakes.fake_anthropic import FakeAnthropic

KEY = "sk-ant-api03-fake-" + "k" * 70 + "AA"
HOOK_SCRIPT = REPO / "backend" / "autocode" / "hook.py"


class ClaudeRig:
    """Temp HOME + CLAUDE_CONFIG_DIR + workdir, a started fake endpoint, an isolated tmux."""

    def __init__(self, *, width: int = 120, height: int = 40) -> None:
        # Short /tmp path: a tmux socket path must stay under ~100 bytes.
        self.tmp = Path(tempfile.mkdtemp(prefix="acsup-"))
        self.home = self.tmp / "home"
        self.config = self.tmp / "config"  # deliberately not ~/.claude: CLAUDE_CONFIG_DIR must win
        self.work = self.tmp / "work"
        self.run_dir = self.tmp / "run"
        for d in (self.home, self.work, self.run_dir):
            d.mkdir(parents=True)
        self.fake = FakeAnthropic().start()
        self.tmux = TmuxClaude(self.tmp / "tmux.sock", width=width, height=height)

    @property
    def hooks_file(self) -> Path:
        return self.run_dir / "hooks.jsonl"

    def launch(
        self,
        policy: Policy = "ask",
        *,
        seed: bool = True,
        approve_key: bool = True,
        trust: bool = True,
        skip_bypass_prompt: bool = True,
        max_retries: int | None = None,
        session_id: str | None = None,
        resume_session_id: str | None = None,
        argv_extra: tuple[str, ...] = (),
        bare_argv: bool = False,
        ready: Callable[[str], bool] | None = None,
        timeout: float = 30,
    ) -> None:
        """Seed the config dir and start Claude Code; with ``ready``, wait for that screen.

        ``bare_argv`` starts the CLI with no flags at all (its own default permission mode).
        """
        if seed:
            seed_config_dir(
                Tree(self.tmp),
                PurePosixPath(self.config.name),
                workdir=self.work if trust else self.tmp / "elsewhere",
                api_key=KEY if approve_key else None,
                policy=policy,
                hook_command=hook_command(self.run_dir),
            )
            if not skip_bypass_prompt:
                settings = self.config / "settings.json"
                settings.write_text(settings.read_text().replace('"skipDangerousModePermissionPrompt": true', '"x": 0'))
        env = claude_env(
            home=self.home,
            config_dir=self.config,
            api_key=KEY,
            base_url=self.fake.url,
            policy=policy,
            max_retries=max_retries,
        )
        argv = claude_argv(
            CLI, policy=policy, session_id=session_id, resume_session_id=resume_session_id, extra=argv_extra
        )
        if bare_argv:
            argv = [str(CLI), *argv_extra]
        self.tmux.start(argv, env=env, cwd=self.work)
        if ready is not None:
            self.wait(ready, "ready screen", timeout)

    def wait(self, probe: Callable[[str], bool], what: str, timeout: float = 20) -> str:
        return self.tmux.wait_screen(probe, timeout, what)

    def wait_text(self, needle: str, timeout: float = 20) -> str:
        return self.wait(lambda s: needle in s, repr(needle), timeout)

    def press(self, key: str, changed: Callable[[str], bool], what: str) -> None:
        """Press ``key`` until the screen shows its effect: a key sent while a dialog is
        still mounting is dropped."""
        for _ in range(5):
            self.tmux.send_keys(key)
            try:
                self.tmux.wait_screen(changed, 2, what)
                return
            except TimeoutError:
                continue
        raise TimeoutError(f"{key!r} had no effect ({what})\n{self.tmux.capture()}")

    def close(self) -> None:
        try:
            self.tmux.kill()
        finally:
            self.fake.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


__all__ = ["CLI", "HOOK_SCRIPT", "KEY", "ClaudeRig"]
