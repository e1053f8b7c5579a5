"""SQLite engine (WAL, foreign keys) and schema migrations through Alembic."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event

from autocode.core import files

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine whose every connection runs in WAL mode with foreign keys enforced."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        # SQLite's locks are POSIX locks: closing *any* descriptor of the database in this
        # process drops them all, and another process may then reset the WAL under us
        # ("disk I/O error", committed rows gone). A user's tree may hold a hard link to
        # these files (local runtime); the safe file layer refuses to open them.
        base = Path(database)
        files.protect(base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal")))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


class DataVersion:
    """A number that changes whenever any connection commits to the database: this process's
    other connections and other processes' (the supervisors') alike. SQLite's `PRAGMA
    data_version` on a connection of its own that never writes; a few microseconds a read."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database
        if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            raise ValueError("DataVersion needs an SQLite database file")
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)

    def current(self) -> int:
        with self._lock:
            row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent)."""
    from alembic import command

    cfg = alembic_config(str(engine.url))
    with engine.connect() as conn:
        # SQLite's procedure for rebuilding tables: foreign keys off outside the transaction (a
        # DROP of a parent would otherwise cascade into its children), checked before commit.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def backup(db_path: Path, target: Path) -> None:
    """Online backup of a live database with SQLite's backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(db_path))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
