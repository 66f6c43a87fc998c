"""Tracked tasks: deadlines with reminders and escalation.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column(
            "owner_unit_id",
            sa.Integer(),
            sa.ForeignKey("unit.id", name="fk_task_owner_unit_id_unit"),
            nullable=False,
        ),
        sa.Column(
            "assignee_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_task_assignee_id_staff_user"),
        ),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("remind_at", UTCDateTime()),
        sa.Column("reminded_at", UTCDateTime()),
        sa.Column("escalated_at", UTCDateTime()),
        sa.Column(
            "escalated_to_id",
            sa.Integer(),
            sa.ForeignKey("unit.id", name="fk_task_escalated_to_id_unit"),
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column(
            "closed_by_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_task_closed_by_id_staff_user"),
        ),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("status IN ('open','done','cancelled')", name="ck_task_status"),
    )
    op.create_index("ix_task_public_id", "task", ["public_id"], unique=True)
    op.create_index("ix_task_kind", "task", ["kind"])
    op.create_index("ix_task_owner_unit_id", "task", ["owner_unit_id"])
    op.create_index("ix_task_due_at", "task", ["due_at"])
    op.create_index("ix_task_status", "task", ["status"])
    op.create_index("ix_task_subject", "task", ["subject_type", "subject_id"])


def downgrade() -> None:
    op.drop_table("task")
