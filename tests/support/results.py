"""bench/RESULTS.md: each benchmark owns one `## ` section of it and replaces only that one."""

from __future__ import annotations

import fcntl
from pathlib import Path

BENCH_RESULTS = Path(__file__).resolve().parents[2] / "bench" / "RESULTS.md"
TITLE = "# Benchmarks"


def replace_section(document: str, section: str) -> str:
    """`document` with the section that has `section`'s heading (its first line) replaced by
    `section`, or with `section` appended when there is none; every other section is kept as it is."""
    heading = section.split("\n", 1)[0].rstrip()
    if not heading.startswith("## "):
        raise ValueError(f"a section starts with its '## ' heading, not {heading!r}")
    body = section.strip("\n") + "\n"
    if not document.strip():
        return f"{TITLE}\n\n{body}"
    lines = document.split("\n")
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        return document.rstrip("\n") + "\n\n" + body
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before = "\n".join(lines[:start]).rstrip("\n")
    after = "\n".join(lines[end:]).strip("\n")
    return (before + "\n\n" if before else "") + body + ("\n" + after + "\n" if after else "")


def write_section(section: str, results: Path = BENCH_RESULTS) -> None:
    """Replace (or add) `section`, headed by its `## ` line, in `results`. The file is locked from
    the read to the write, so benchmarks that finish together do not drop each other's section."""
    with results.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
        fh.seek(0)
        new = replace_section(fh.read(), section)
        fh.seek(0)
        fh.truncate()
        fh.write(new)
