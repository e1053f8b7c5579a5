"""Supervisor state on projects: the screen state and Claude Code's session id for resuming.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen_state", AutoString(), nullable=True))
        batch_op.add_column(sa.Column("claude_session_id", AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("claude_session_id")
        batch_op.drop_column("screen_state")
