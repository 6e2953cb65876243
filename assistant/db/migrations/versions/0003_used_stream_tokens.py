"""used media-stream tokens (each token opens one stream)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_stream_tokens",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_used_stream_tokens_expires_at",
        "used_stream_tokens",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_used_stream_tokens_expires_at", table_name="used_stream_tokens")
    op.drop_table("used_stream_tokens")
