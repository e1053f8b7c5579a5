"""Ids are never reused (AUTOINCREMENT on every table) and users carry a token version.

Without AUTOINCREMENT SQLite hands out max(id)+1, so deleting the newest user (or project)
gave its id to the next one created, and whatever still named the old id (an access token,
an open events socket) reached the new owner's rows. Each table is rebuilt with its data;
`db.upgrade` runs migrations with foreign keys off so the rebuild cascades nothing.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Parents first; the copy keeps every id, and SQLite starts each sequence at the copied max.
TABLES = ("users", "refresh_tokens", "agents", "api_keys", "projects", "agent_instances", "logs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
            if table == "users":
                batch_op.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="always") as batch_op:
            if table == "users":
                batch_op.drop_column("token_version")
