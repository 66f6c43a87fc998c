"""Relatives' relationship to the missing child, for database-scale relative search; DNA access-volume alerts (R-DNA-5).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: existing specimens (parents, children, relatives registered before) stay valid;
    # a relative without a relation is stored but not searched.
    with op.batch_alter_table("dna_specimen") as batch:
        batch.add_column(sa.Column("relation", sa.String(length=16), nullable=True))
    op.create_table(
        "dna_access_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=8), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_dna_access_alert_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_access_alert")),
        sa.UniqueConstraint(
            "user_id",
            "window",
            "window_start",
            name=op.f("uq_dna_access_alert_user_id_window_window_start"),
        ),
    )
    op.create_index(
        op.f("ix_dna_access_alert_user_id"), "dna_access_alert", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dna_access_alert_user_id"), table_name="dna_access_alert")
    op.drop_table("dna_access_alert")
    with op.batch_alter_table("dna_specimen") as batch:
        batch.drop_column("relation")
