"""Projects carry their open question as data (kind, text, menu choices) while they need help.

Revision ID: 0006_question
Revises: 0005_push
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_question"
down_revision = "0005_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("question")
