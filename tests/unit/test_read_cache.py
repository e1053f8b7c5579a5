"""The read cache's rule: an answer is replayed only while the database version it was computed at
is current, it is not older than max_age, and not older than the token allowed."""

from __future__ import annotations

import pytest

from autocode.services.read_cache import ReadCache


class World:
    def __init__(self) -> None:
        self.now = 100.0
        self.db = 7

    def cache(self, **kw: float | int) -> ReadCache:
        return ReadCache(lambda: self.db, clock=lambda: self.now, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored_at_version", "valid_for", "advance", "db_after", "served"),
    [
        (7, 60.0, 0.5, 7, True),  # same version, young: replayed
        (7, 60.0, 0.5, 8, False),  # a commit since: computed afresh
        (6, 60.0, 0.0, 7, False),  # computed before a commit it did not see
        (7, 60.0, 2.0, 7, False),  # max_age (2 s) passed
        (7, 1.0, 1.0, 7, False),  # the token expired
        (7, 0.0, 0.0, 7, False),  # not cacheable (e.g. a personal API token)
        (7, -5.0, 0.0, 7, False),  # already expired
    ],
)
def test_an_answer_is_replayed_only_while_it_is_current(
    stored_at_version: int, valid_for: float, advance: float, db_after: int, served: bool
) -> None:
    world = World()
    cache = world.cache(max_age=2.0)
    cache.put("k", version=stored_at_version, body=b"[1]", valid_for=valid_for)
    world.now += advance
    world.db = db_after
    assert (cache.get("k") == b"[1]") is served


def test_keys_are_separate_and_the_oldest_go_first() -> None:
    world = World()
    cache = world.cache(max_entries=2)
    cache.put(("projects", "token-a"), version=7, body=b"a", valid_for=60)
    cache.put(("projects", "token-b"), version=7, body=b"b", valid_for=60)
    assert cache.get(("projects", "token-a")) == b"a"  # a is now the most recently used
    cache.put(("projects", "token-c"), version=7, body=b"c", valid_for=60)
    assert cache.get(("projects", "token-b")) is None
    assert cache.get(("projects", "token-a")) == b"a"
    assert cache.get(("projects", "token-c")) == b"c"
    assert cache.get(("projects", "token-d")) is None
