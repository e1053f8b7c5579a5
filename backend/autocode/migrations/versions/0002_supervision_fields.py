"""Supervision fields: agent permission policy, project usage, budget and status reason.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "permission_policy",
                AutoString(),
                nullable=False,
                server_default="auto",
            )
        )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", AutoString(), nullable=True))
        batch_op.add_column(sa.Column("input_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("output_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("budget_tokens", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_activity_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("budget_tokens")
        batch_op.drop_column("output_tokens")
        batch_op.drop_column("input_tokens")
        batch_op.drop_column("status_reason")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("permission_policy")
