"""Managed devices: groups, enrolment tokens, devices, and the device a session was started on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("prompt_timeout_seconds", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_device_groups_organisation_id", "device_groups", ["organisation_id"])
    op.create_table(
        "enrolment_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("device_groups.id"), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses_left", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enrolment_tokens_organisation_id", "enrolment_tokens",
                    ["organisation_id"])
    op.create_table(
        "devices",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("device_groups.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("os", sa.String(200), nullable=False),
        sa.Column("logged_in_user", sa.String(200), nullable=False),
        sa.Column("hardware", sa.JSON, nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(20), nullable=True),
        sa.Column("prompt_timeout_seconds", sa.Integer, nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_devices_organisation_id", "devices", ["organisation_id"])
    with op.batch_alter_table("support_sessions") as batch:
        batch.add_column(sa.Column("device_id", sa.String(32), nullable=True))
        batch.create_index("ix_support_sessions_device_id", ["device_id"])


def downgrade() -> None:
    with op.batch_alter_table("support_sessions") as batch:
        batch.drop_index("ix_support_sessions_device_id")
        batch.drop_column("device_id")
    op.drop_table("devices")
    op.drop_table("enrolment_tokens")
    op.drop_table("device_groups")
