"""Legal holds and the retention schedule's purge log (I1).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_purge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_class", sa.String(length=24), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("expired_at", UTCDateTime(), nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("keys_shredded_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_purge")),
        sa.UniqueConstraint(
            "object_type", "object_id", name=op.f("uq_retention_purge_object_type_object_id")
        ),
    )
    op.create_index(
        op.f("ix_retention_purge_data_class"), "retention_purge", ["data_class"], unique=False
    )
    op.create_index(
        op.f("ix_retention_purge_keys_shredded_at"),
        "retention_purge",
        ["keys_shredded_at"],
        unique=False,
    )
    op.create_table(
        "retention_hold",
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_by_name", sa.String(length=120), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_by_name", sa.String(length=120), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["placed_by_id"],
            ["staff_user.id"],
            name=op.f("fk_retention_hold_placed_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["staff_user.id"],
            name=op.f("fk_retention_hold_released_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_hold")),
    )
    op.create_index(
        op.f("ix_retention_hold_public_id"), "retention_hold", ["public_id"], unique=True
    )
    op.create_index(
        "uq_retention_hold_active",
        "retention_hold",
        ["object_type", "object_id"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_retention_hold_active", table_name="retention_hold")
    op.drop_index(op.f("ix_retention_hold_public_id"), table_name="retention_hold")
    op.drop_table("retention_hold")
    op.drop_index(op.f("ix_retention_purge_keys_shredded_at"), table_name="retention_purge")
    op.drop_index(op.f("ix_retention_purge_data_class"), table_name="retention_purge")
    op.drop_table("retention_purge")
