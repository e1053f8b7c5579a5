"""The schema comes only from migrations: from empty, and from the previous revision with data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from autocode.core import db


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert diff == [], diff
    assert mode == "wal" and fks == 1
    db.upgrade(engine)  # idempotent
    engine.dispose()


def test_upgrade_from_previous_revision_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine, "0001")
    raw = sqlite3.connect(path)
    cols = [r[1] for r in raw.execute("PRAGMA table_info(projects)")]
    assert "input_tokens" not in cols
    raw.execute(
        "INSERT INTO users (id, username, password_hash, is_admin, created_at)"
        " VALUES (1, 'alice', 'h', 0, '2026-01-01 00:00:00')"
    )
    raw.execute(
        "INSERT INTO agents (id, user_id, name, model, identity, tools, mcp_servers, global_rules,"
        " created_at, updated_at) VALUES (1, 1, 'Web', 'anthropic/x', '', '[]', '{}', 'rules',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    raw.execute(
        "INSERT INTO projects (id, user_id, agent_id, name, slug, description, architecture,"
        " implementation_plan, status, current_step, tmux_session, workspace_path, created_at,"
        " updated_at) VALUES (1, 1, 1, 'Shop', 'shop', 'd', 'a', '[{\"title\": \"s\"}]', 'created',"
        " 0, 'alice-shop', '/w', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    raw.execute(
        "INSERT INTO logs (project_id, level, message, timestamp) VALUES (1, 'info', 'kept',"
        " '2026-01-01 00:00:00')"
    )
    raw.commit()
    raw.close()

    db.upgrade(engine)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
        project = raw.execute(
            "SELECT name, implementation_plan, input_tokens, output_tokens, budget_tokens FROM projects"
        ).fetchone()
        assert project == ("Shop", '[{"title": "s"}]', 0, 0, None)
        assert raw.execute("SELECT global_rules, permission_policy FROM agents").fetchone() == ("rules", "auto")
        assert raw.execute("SELECT message FROM logs").fetchall() == [("kept",)]
        assert raw.execute("SELECT username FROM users").fetchall() == [("alice",)]
    finally:
        raw.close()
    engine.dispose()
