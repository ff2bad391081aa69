"""Help requests, and which technicians may reach a device group.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_groups") as batch:
        batch.add_column(sa.Column("all_technicians", sa.Boolean, nullable=False,
                                   server_default=sa.true()))
    op.create_table(
        "device_group_technicians",
        sa.Column("group_id", sa.Integer,
                  sa.ForeignKey("device_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("device_id", sa.String(32), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("words", sa.Text, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=False),
        sa.Column("taken_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("session_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_help_requests_organisation_id", "help_requests", ["organisation_id"])
    op.create_index("ix_help_requests_device_id", "help_requests", ["device_id"])


def downgrade() -> None:
    op.drop_table("help_requests")
    op.drop_table("device_group_technicians")
    with op.batch_alter_table("device_groups") as batch:
        batch.drop_column("all_technicians")
