"""Projects started from a repository (projects.git_url, projects.cloned), users' deploy keys
and project templates.

Revision ID: 0009_gitstart
Revises: 0008_jobs
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_gitstart"
down_revision: str | None = "0008_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: rebuilding the table would lose its AUTOINCREMENT (see 0004).
    op.add_column("projects", sa.Column("git_url", sqlmodel.AutoString(length=2000), nullable=True))
    op.add_column("projects", sa.Column("cloned", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "deploy_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sqlmodel.AutoString(length=500), nullable=False),
        sa.Column("encrypted_private_key", sqlmodel.AutoString(), nullable=False),
        sa.Column("fingerprint", sqlmodel.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_deploy_keys_user_id"), "deploy_keys", ["user_id"], unique=True)
    op.create_table(
        "project_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.AutoString(length=100), nullable=False),
        sa.Column("summary", sqlmodel.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.AutoString(), nullable=False),
        sa.Column("architecture", sqlmodel.AutoString(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_project_templates_user_id"), "project_templates", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_templates_user_id"), table_name="project_templates")
    op.drop_table("project_templates")
    op.drop_index(op.f("ix_deploy_keys_user_id"), table_name="deploy_keys")
    op.drop_table("deploy_keys")
    with op.batch_alter_table("projects", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("cloned")
        batch_op.drop_column("git_url")
