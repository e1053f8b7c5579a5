"""Why a project stopped, as a kind (projects.status_kind), and when a usage-limit pause ends
(projects.resume_at).

Revision ID: 0010_cockpit
Revises: 0009_gitstart
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_cockpit"
down_revision: str | None = "0009_gitstart"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: rebuilding the table would lose its AUTOINCREMENT (see 0004).
    op.add_column("projects", sa.Column("status_kind", sqlmodel.AutoString(length=20), nullable=True))
    op.add_column("projects", sa.Column("resume_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("resume_at")
        batch_op.drop_column("status_kind")
