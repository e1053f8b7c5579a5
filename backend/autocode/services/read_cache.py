"""Answers to hot, read-only requests, kept until the database changes.

A dashboard asks for its project list every few seconds, from every open tab; most of those
answers are the same bytes. An entry is keyed by what the answer depends on (the request and
the exact bearer token) and stamped with the database's data version when it was computed: it is
served only while that version is still current, it never outlives the token it was made for,
and it is at most `max_age` seconds old (for anything that is not in the database). A token that
was revoked, a user who was disabled, a project that changed: each is a commit, so each changes
the version, and the next request is answered afresh through the normal checks.

The cache decides nothing about who may read what: a miss runs the ordinary path (token check,
ownership, query), and a hit can only replay what that path answered for the same token.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    version: int
    body: bytes
    expires_at: float  # on the monotonic clock


class ReadCache:
    def __init__(
        self,
        version: Callable[[], int],
        *,
        max_age: float = 2.0,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._version = version
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def version(self) -> int:
        return self._version()

    def get(self, key: Hashable) -> bytes | None:
        """The stored answer for `key` if it is still good, else None (and it is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.expires_at or entry.version != self._version():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.body

    def put(self, key: Hashable, *, version: int, body: bytes, valid_for: float) -> None:
        """Keep `body`, computed at database `version`, for at most `valid_for` seconds (capped at
        max_age). The version must have been read *before* the answer was computed, so that a
        commit during the computation makes the entry stale rather than wrongly fresh."""
        ttl = min(valid_for, self.max_age)
        if ttl <= 0:
            return
        self._entries[key] = Entry(version=version, body=body, expires_at=self._clock() + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
