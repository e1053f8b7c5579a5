"""Accounts can be disabled: users.disabled.

Revision ID: 0007_accounts
Revises: 0006_question
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_accounts"
down_revision = "0006_question"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table would lose its AUTOINCREMENT (see 0004).
    op.add_column("users", sa.Column("disabled", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("disabled")
