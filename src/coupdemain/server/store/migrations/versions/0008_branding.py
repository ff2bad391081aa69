"""An organisation's branding: its colour and logo.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch would copy the table, which the users' foreign key forbids.
    op.add_column("organisations", sa.Column("brand_colour", sa.String(7), nullable=False,
                                             server_default=""))
    op.add_column("organisations", sa.Column("logo_png", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("organisations", "logo_png")
    op.drop_column("organisations", "brand_colour")
