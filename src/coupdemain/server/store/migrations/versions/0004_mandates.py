"""Mandates: the organisation's templates, the terms of a session, what the person signed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch would copy the table, which the users' foreign key forbids.
    op.add_column("organisations", sa.Column("mandate_required", sa.Boolean, nullable=False,
                                             server_default=sa.false()))
    op.create_table(
        "mandate_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_id", sa.Integer,
                  sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mandate_templates_organisation_id", "mandate_templates",
                    ["organisation_id"])
    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("technician_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("standing_until", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mandates_organisation_id", "mandates", ["organisation_id"])
    op.create_index("ix_mandates_technician_id", "mandates", ["technician_id"])
    op.create_table(
        "mandate_signatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mandate_id", sa.Integer, sa.ForeignKey("mandates.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("drawing_png", sa.LargeBinary, nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mandate_signatures_mandate_id", "mandate_signatures", ["mandate_id"])
    op.create_index("ix_mandate_signatures_session_id", "mandate_signatures", ["session_id"])
    with op.batch_alter_table("support_sessions") as batch:
        batch.add_column(sa.Column("mandate_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("mandate_ends_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_support_sessions_mandate_id", "mandates",
                                 ["mandate_id"], ["id"])
        batch.create_index("ix_support_sessions_mandate_id", ["mandate_id"])


def downgrade() -> None:
    with op.batch_alter_table("support_sessions") as batch:
        batch.drop_index("ix_support_sessions_mandate_id")
        batch.drop_constraint("fk_support_sessions_mandate_id", type_="foreignkey")
        batch.drop_column("mandate_ends_at")
        batch.drop_column("mandate_id")
    op.drop_table("mandate_signatures")
    op.drop_table("mandates")
    op.drop_table("mandate_templates")
    op.drop_column("organisations", "mandate_required")
