"""Organisations, users, sign-ins, support sessions and the chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "support_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("technician_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("code_hint", sa.String(3), nullable=False),
        sa.Column("code_expires_at", TZ, nullable=False),
        sa.Column("code_used_at", TZ, nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("person_hostname", sa.String(200), nullable=False, server_default=""),
        sa.Column("person_user", sa.String(200), nullable=False, server_default=""),
        sa.Column("person_os", sa.String(200), nullable=False, server_default=""),
        sa.Column("person_address", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("ended_by", sa.String(20), nullable=False, server_default=""),
        sa.Column("end_reason", sa.String(40), nullable=False, server_default=""),
    )
    op.create_index("ix_support_sessions_technician_id", "support_sessions", ["technician_id"])
    op.create_index("ix_support_sessions_code_digest", "support_sessions", ["code_digest"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(20), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_audit_events_session_id", "audit_events", ["session_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("support_sessions")
    op.drop_table("login_sessions")
    op.drop_table("users")
    op.drop_table("organisations")
