"""Claude Code hook: ``python -m autocode.hook <run-dir>`` appends stdin to ``<run-dir>/hooks.jsonl``.

Claude Code runs it for every hook event with the event JSON on stdin. It must never block
or fail Claude Code: it reads at most a bounded amount, writes one line with a single
``O_APPEND`` write (concurrent hooks do not interleave), ignores every error and exits 0.
Stdlib only, so it also runs as a plain script path (a copy sits in each user's tree).

Each line is sealed with an HMAC-SHA256 under the key the supervisor gave this Claude Code
launch (``AUTOCODE_HOOK_KEY`` in its environment, inherited by the hook); the supervisor
acts only on lines whose seal checks out. What that does and does not prove: the key lives in
Claude Code's environment, so any process of the same user in the same environment that can
read ``/proc/<pid>/environ`` (or a command Claude Code itself runs) can seal lines too. The
seal stops lines written without that launch's key: by the user's other processes that do not
go looking for it, by another project's Claude Code, by an earlier launch, and copies of old
files. The supervisor's own checks (the transcript only under the user's Claude config dir,
read without following links, regular files only, a byte cap per read) are what keep a
sealed line from reaching another user's files or stalling the host.

The seal is appended inside the JSON object (``{...,"autocode_mac":"<hex>"}``) over the exact
bytes before it, so a line stays one JSON object and the checked bytes are the parsed bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from typing import Any

MAX_INPUT = 4 * 1024 * 1024
MAX_STRING = 4000
KEY_ENV = "AUTOCODE_HOOK_KEY"
MAC_FIELD = "autocode_mac"
_PREFIX = b',"' + MAC_FIELD.encode() + b'":"'
_HEX = frozenset(b"0123456789abcdef")


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


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def seal(body: bytes, key: bytes) -> bytes:
    """``body`` (a JSON object with at least one member) with its MAC as a last member."""
    if not (body.startswith(b"{") and body.endswith(b"}")) or body == b"{}":
        raise ValueError("a sealed body is a non-empty JSON object")
    return body[:-1] + b',"' + MAC_FIELD.encode() + b'":"' + _mac(key, body).encode() + b'"}'


def unseal(line: bytes, key: bytes) -> bytes | None:
    """The signed JSON body of a sealed line, or None when the seal is missing or wrong."""
    line = line.rstrip(b"\r\n")
    cut = len(line) - len(_PREFIX) - 64 - 2
    if not key or cut < 2 or not line.startswith(b"{") or not line.endswith(b'"}'):
        return None
    if line[cut : cut + len(_PREFIX)] != _PREFIX:
        return None
    mac = line[cut + len(_PREFIX) : -2]
    if not set(mac) <= _HEX:
        return None
    body = line[:cut] + b"}"
    if not hmac.compare_digest(_mac(key, body).encode(), mac):
        return None
    return body


def record(run_dir: str, raw: bytes, key: str | None = None) -> None:
    """Append one JSON line for the hook payload ``raw`` to ``run_dir/hooks.jsonl``."""
    try:
        payload = json.loads(raw.decode("utf-8", "replace") or "{}")
    except ValueError:
        payload = {"unparsed": raw.decode("utf-8", "replace")}
    if not isinstance(payload, dict):
        payload = {"unparsed": payload}
    payload = _trim(payload)
    payload.pop(MAC_FIELD, None)
    payload["received_at"] = time.time()
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    # Without a key the line is still written (it helps debugging) and the supervisor ignores it.
    line = (seal(body, key.encode()) if key else body) + b"\n"
    # No makedirs, no links: a missing run dir means the run is gone, and the event is dropped.
    fd = os.open(
        os.path.join(run_dir, "hooks.jsonl"),
        os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK,
        0o600,
    )
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        raw = sys.stdin.buffer.read(MAX_INPUT)
        if args:
            record(args[0], raw, os.environ.get(KEY_ENV) or None)
    except Exception:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
