"""bench/RESULTS.md: a benchmark replaces its own section and leaves the others as they are."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support.results import replace_section, write_section

DOC = "# Benchmarks\n\n## Supervisor\n\nold sup\n\n## Terminal\n\nold term\n| a | b |\n\n## Web app\n\nold web\n"


@pytest.mark.parametrize(
    ("document", "section", "expected"),
    [
        ("", "## Terminal\n\nnew\n", "# Benchmarks\n\n## Terminal\n\nnew\n"),
        ("# Benchmarks\n", "## Terminal\nnew", "# Benchmarks\n\n## Terminal\nnew\n"),
        (
            DOC,
            "## Terminal\n\nnew term\n",
            "# Benchmarks\n\n## Supervisor\n\nold sup\n\n## Terminal\n\nnew term\n\n## Web app\n\nold web\n",
        ),
        (
            DOC,
            "## Web app\n\nnew web\n\n\n",
            "# Benchmarks\n\n## Supervisor\n\nold sup\n\n## Terminal\n\nold term\n| a | b |\n\n## Web app\n\nnew web\n",
        ),
        (DOC, "## Pane exits\n\nrows\n", DOC + "\n## Pane exits\n\nrows\n"),
        # a heading that only starts like ours is another section
        (DOC, "## Super\n\nx\n", DOC + "\n## Super\n\nx\n"),
        ("## Terminal\nold\n## Web app\nweb\n", "## Terminal\nnew\n", "## Terminal\nnew\n\n## Web app\nweb\n"),
    ],
)
def test_replace_section(document: str, section: str, expected: str) -> None:
    assert replace_section(document, section) == expected


def test_replacing_a_section_with_itself_changes_nothing() -> None:
    assert replace_section(DOC, "## Terminal\n\nold term\n| a | b |\n") == DOC


def test_a_section_needs_its_heading() -> None:
    with pytest.raises(ValueError, match="heading"):
        replace_section(DOC, "no heading\n")


def test_two_benchmarks_writing_at_once_keep_both_sections(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(DOC)
    threads = [
        threading.Thread(target=write_section, args=(f"## {name}\n\nnew {name}\n", results))
        for name in ("Supervisor", "Web app")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    text = results.read_text()
    assert "new Supervisor" in text and "new Web app" in text and "old term" in text
    assert "old sup" not in text and "old web" not in text
