"""The workspace (or one folder of it) as a .zip, streamed while it is made.

The same walk as the .tar.gz (core.files: no link followed, regular files only, .git and
.nanobot left out at the top) and the same limits. The limits are checked by a first walk that
reads no file, so a workspace that is too large is refused (413) before the first byte is sent;
the second walk writes the archive in chunks. What changes in between (a file shrinks, the
tree grows past a limit) ends the stream with an error, so the client never takes a cut
archive for a whole one.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Generator

from autocode.core import files as safe
from autocode.services.errors import Invalid
from autocode.services.files import ARCHIVE_LIMITS, ArchiveSource

CHUNK = 64 * 1024
# Zip times start in 1980; a file dated before that (or with no date) is stored as 1980-01-01.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def check_limits(source: ArchiveSource) -> int:
    """Walk without reading: the number of files, or TooLarge past ARCHIVE_LIMITS."""
    return sum(1 for _ in source.tree.walk(source.root, limits=ARCHIVE_LIMITS, skip=source.skip))


class _Sink:
    """Where zipfile writes: a buffer the stream empties (not seekable, so zipfile writes
    sizes after each file's data)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        return len(data)

    def flush(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._buf)

    def take(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


def _date_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(max(0.0, mtime))
    if t.tm_year < 1980:
        return ZIP_EPOCH
    return (min(t.tm_year, 2107), t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def zip_chunks(source: ArchiveSource) -> Generator[bytes, None, None]:
    """The archive, a chunk at a time (blocking: run each step off the event loop)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:  # type: ignore[call-overload]
        for item in source.tree.walk(source.root, limits=ARCHIVE_LIMITS, skip=source.skip):
            try:
                fd = source.tree.open_walked(item)
            except (OSError, safe.FileError):
                continue  # gone or swapped since the listing: left out
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                info = zipfile.ZipInfo(f"{source.prefix}/{item.path}", date_time=_date_time(st.st_mtime))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | (st.st_mode & 0o755)) << 16
                info.file_size = st.st_size
                left = st.st_size
                with zf.open(info, mode="w", force_zip64=st.st_size >= zipfile.ZIP64_LIMIT) as out:
                    while left > 0:
                        block = fh.read(min(CHUNK, left))
                        if not block:  # the file shrank while it was read
                            raise Invalid("A file changed while the download was made; try again")
                        out.write(block)
                        left -= len(block)
                        if len(sink) >= CHUNK:
                            yield sink.take()
            if len(sink) >= CHUNK:
                yield sink.take()
    yield sink.take()
