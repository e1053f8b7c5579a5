"""systemd/autocode.service checked offline by systemd itself (no running systemd needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import AUTOCODE, REPO, changed_lines

UNIT = REPO / "systemd" / "autocode.service"
EXEC_START = "ExecStart=/opt/autocode/.venv/bin/autocode serve"


def analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    return path


def settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_unit_verifies_with_the_venv_in_place(tmp_path: Path) -> None:
    # `verify` checks that ExecStart's program exists; here it is this checkout's venv instead
    # of /opt/autocode/.venv, the only line that differs.
    production = UNIT.read_text()
    assert production.count(EXEC_START + "\n") == 1
    copy = tmp_path / "autocode.service"
    copy.write_text(production.replace(EXEC_START, f"ExecStart={AUTOCODE} serve"))
    assert changed_lines(production, copy.read_text()) == [f"-{EXEC_START}", f"+ExecStart={AUTOCODE} serve"]
    r = subprocess.run([analyze(), "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "" and r.stdout.strip() == "", r.stdout + r.stderr


def test_production_unit_verifies_except_for_the_missing_install(tmp_path: Path) -> None:
    r = subprocess.run([analyze(), "verify", "--man=no", str(UNIT)], capture_output=True, text=True, timeout=60)
    if Path("/opt/autocode/.venv/bin/autocode").exists():
        assert r.returncode == 0, r.stderr
        return
    complaints = [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]
    assert complaints and all("/opt/autocode/.venv/bin/autocode" in line for line in complaints), complaints


def test_hardening_exposure_is_low() -> None:
    r = subprocess.run(
        [analyze(), "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for autocode\.service: ([0-9.]+)", r.stdout + r.stderr)
    assert match, r.stdout + r.stderr
    assert float(match.group(1)) <= 2.0, r.stdout


def test_unit_runs_autocode_as_intended() -> None:
    s = settings(UNIT.read_text())
    assert s["User"] == ["autocode"] and s["Group"] == ["autocode"]
    assert s["WorkingDirectory"] == ["/opt/autocode"]
    assert s["EnvironmentFile"] == ["/etc/autocode/autocode.env"]
    assert "AUTOCODE_DATA_DIR=/data" in s["Environment"]
    assert "AUTOCODE_HOST=127.0.0.1" in s["Environment"]
    assert s["Restart"] == ["on-failure"]
    # Supervisors and tmux servers outlive a restart of the server.
    assert s["KillMode"] == ["process"]
    assert s["ProtectSystem"] == ["strict"] and s["ReadWritePaths"] == ["/data"]
    # A private /tmp would be wiped under those survivors on stop; /tmp is a bind of /data/tmp.
    assert "PrivateTmp" not in s
    assert "/data/tmp:/tmp" in s["BindPaths"]
    for key in (
        "NoNewPrivileges",
        "ProtectHome",
        "PrivateDevices",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "RestrictSUIDSGID",
        "LockPersonality",
        "RestrictNamespaces",
        "RestrictRealtime",
    ):
        assert s[key] == ["yes"], key
    assert s["SystemCallArchitectures"] == ["native"]
    assert s["CapabilityBoundingSet"] == [""]
    # node's JIT needs W+X pages: this one must stay off.
    assert "MemoryDenyWriteExecute" not in s
