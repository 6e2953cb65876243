"""staff console: audit trail, meal delivery/cancel/confirm, call-back notes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index(
        "ix_audit_log_target", "audit_log", ["target_kind", "target_id"], unique=False
    )
    with op.batch_alter_table("meal_orders") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("delivered_by", sa.String(length=64)))
        batch.add_column(sa.Column("cancelled_by", sa.String(length=64)))
        batch.add_column(sa.Column("cancel_reason", sa.String(length=256)))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("confirmed_by", sa.String(length=64)))
    with op.batch_alter_table("callback_requests") as batch:
        batch.add_column(sa.Column("handled_by", sa.String(length=64)))
        batch.add_column(sa.Column("note", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch:
        batch.drop_column("note")
        batch.drop_column("handled_by")
    with op.batch_alter_table("meal_orders") as batch:
        for column in (
            "confirmed_by",
            "confirmed_at",
            "cancel_reason",
            "cancelled_by",
            "delivered_by",
            "delivered_at",
        ):
            batch.drop_column(column)
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
