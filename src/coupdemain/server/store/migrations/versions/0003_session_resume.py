"""Sessions can resume after a drop or a restart: the agent's resume secret (hashed) and the pause.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Numbered 0003 because 0002 (users that can be disabled) is written in
parallel: once both are in one tree, this one revises 0002, so that the
history stays one line.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_sessions") as batch:
        # SHA-256 of the secret the welcome gave the agent; the secret itself is never stored.
        batch.add_column(sa.Column("resume_digest", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_support_sessions_resume_digest", ["resume_digest"])


def downgrade() -> None:
    with op.batch_alter_table("support_sessions") as batch:
        batch.drop_index("ix_support_sessions_resume_digest")
        batch.drop_column("paused")
        batch.drop_column("resume_digest")
