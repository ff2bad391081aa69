"""Users can be disabled, and their last sign-in is kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        # Every user that existed before could sign in: they stay enabled.
        batch.add_column(
            sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_signed_in_at")
        batch.drop_column("enabled")
