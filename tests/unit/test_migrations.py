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
        "INSERT INTO logs (project_id, level, message, timestamp) VALUES (1, 'info', 'kept', '2026-01-01 00:00:00')"
    )
    raw.commit()
    raw.close()

    db.upgrade(engine)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0010_cockpit",)
        project = raw.execute(
            "SELECT name, implementation_plan, input_tokens, output_tokens, budget_tokens FROM projects"
        ).fetchone()
        assert project == ("Shop", '[{"title": "s"}]', 0, 0, None)
        assert raw.execute("SELECT global_rules, permission_policy FROM agents").fetchone() == ("rules", "auto")
        assert raw.execute("SELECT message FROM logs").fetchall() == [("kept",)]
        assert raw.execute("SELECT username, token_version FROM users").fetchall() == [("alice", 0)]
        assert raw.execute("SELECT disabled FROM users").fetchall() == [(0,)]  # 0006: enabled
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        raw.close()
    engine.dispose()


def test_ids_continue_past_the_largest_ever_used_after_upgrading_a_database_with_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine, "0003")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys=ON")
    for uid, name in ((1, "alice"), (2, "bob")):
        raw.execute(
            "INSERT INTO users (id, username, password_hash, is_admin, created_at)"
            " VALUES (?, ?, 'h', 0, '2026-01-01 00:00:00')",
            (uid, name),
        )
    raw.execute(
        "INSERT INTO agents (id, user_id, name, model, identity, tools, mcp_servers, global_rules,"
        " created_at, updated_at, permission_policy) VALUES (1, 2, 'Web', 'anthropic/x', '', '[]',"
        " '{}', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'auto')"
    )
    raw.commit()
    raw.close()

    db.upgrade(engine)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys=ON")
    try:
        # The rebuild cascaded nothing: bob's agent is still there.
        assert raw.execute("SELECT id, user_id FROM agents").fetchall() == [(1, 2)]
        raw.execute("DELETE FROM users WHERE id = 2")
        raw.execute(
            "INSERT INTO users (username, password_hash, is_admin, created_at, token_version)"
            " VALUES ('carol', 'h', 1, '2026-01-02 00:00:00', 0)"
        )
        raw.execute(
            "INSERT INTO agents (user_id, name, model, identity, tools, mcp_servers, global_rules,"
            " created_at, updated_at, permission_policy) VALUES (1, 'Web', 'anthropic/x', '', '[]',"
            " '{}', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'auto')"
        )
        raw.commit()
        assert raw.execute("SELECT id FROM users WHERE username = 'carol'").fetchone() == (3,)
        assert raw.execute("SELECT id FROM agents").fetchall() == [(2,)]
    finally:
        raw.close()
    engine.dispose()
