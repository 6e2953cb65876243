"""emergency guarantee: alerts-queued mark, unalertable flag, staff alarm; outbox priority

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("emergencies") as batch:
        batch.add_column(
            sa.Column("alerts_queued_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "unalertable",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(
            sa.Column("alarm_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("alarm", sa.Text(), nullable=True))
    # Emergencies written before this revision were alerted by the old code path.
    op.execute(
        "UPDATE emergencies SET alerts_queued_at = created_at "
        "WHERE next_escalation_at IS NOT NULL OR status <> 'open'"
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("priority", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_outbox_due", "outbox", ["status", "priority", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
    with op.batch_alter_table("emergencies") as batch:
        batch.drop_column("alarm")
        batch.drop_column("alarm_at")
        batch.drop_column("unalertable")
        batch.drop_column("alerts_queued_at")
