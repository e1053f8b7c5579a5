"""Claude Code hook: ``python -m autocode.hook <run-dir>`` appends stdin to ``<run-dir>/hooks.jsonl``.

Claude Code runs it for every hook event with the event JSON on stdin. It must never block
or fail Claude Code: it reads at most a bounded amount, writes one line with a single
``O_APPEND`` write (concurrent hooks do not interleave), ignores every error and exits 0.
Stdlib only, so it also runs as a plain script path.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

MAX_INPUT = 4 * 1024 * 1024
MAX_STRING = 4000


def _trim(value: Any) -> Any:
    """Shorten long strings (file contents, tool output) so each line stays small."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return value[:MAX_STRING] + f"…[{len(value) - MAX_STRING} more chars]"
        return value
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trim(v) for v in value]
    return value


def record(run_dir: str, raw: bytes) -> None:
    """Append one JSON line for the hook payload ``raw`` to ``run_dir/hooks.jsonl``."""
    try:
        payload = json.loads(raw.decode("utf-8", "replace") or "{}")
    except ValueError:
        payload = {"unparsed": raw.decode("utf-8", "replace")}
    if not isinstance(payload, dict):
        payload = {"unparsed": payload}
    payload = _trim(payload)
    payload["received_at"] = time.time()
    line = (json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    # No makedirs: a missing run dir means the run is gone, and the event is dropped.
    fd = os.open(os.path.join(run_dir, "hooks.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        raw = sys.stdin.buffer.read(MAX_INPUT)
        if args:
            record(args[0], raw)
    except Exception:  # noqa: BLE001 - a hook must never disturb Claude Code
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
