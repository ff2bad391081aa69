"""Each organisation's recording policy (never / ask / always) and how long recordings are kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("recording_policy", sa.String(10), nullable=False,
                                   server_default="never"))
        batch.add_column(sa.Column("recording_retention_days", sa.Integer, nullable=False,
                                   server_default="30"))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("recording_retention_days")
        batch.drop_column("recording_policy")
