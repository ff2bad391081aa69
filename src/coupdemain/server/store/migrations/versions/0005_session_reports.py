"""The session's report (the recap) and the person's notes on it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Numbered 0005 and revising 0003 because other migrations (0004, the
mandates) are written in parallel: once they are in one tree, this one
revises the last of them, so that the history stays one line.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_reports",
        sa.Column("session_id", sa.String(32),
                  sa.ForeignKey("support_sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("done", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("follow_ups", sa.JSON, nullable=False),
        sa.Column("timeline", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("person_language", sa.String(8), nullable=False),
    )
    op.create_table(
        "report_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.String(32),
                  sa.ForeignKey("support_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_report_notes_session_id", "report_notes", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_report_notes_session_id", "report_notes")
    op.drop_table("report_notes")
    op.drop_table("session_reports")
