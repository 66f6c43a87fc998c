"""People (encrypted identity fields, blind index), access grants (B7/B9), outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:04:39.181577
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("former_names", sa.Text(), nullable=True),
        sa.Column("id_card", sa.Text(), nullable=True),
        sa.Column("id_card_index", sa.String(length=64), nullable=True),
        sa.Column("birth_date", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_person_owner_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_person_subject_id")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_id_card_index"), ["id_card_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_owner_unit_id"), ["owner_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_public_id"), ["public_id"], unique=True)

    op.create_table(
        "access_grant",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["staff_user.id"], name=op.f("fk_access_grant_approver_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_access_grant_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["staff_user.id"],
            name=op.f("fk_access_grant_requester_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["staff_user.id"],
            name=op.f("fk_access_grant_reviewed_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant")),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_grant_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_grant_public_id"), ["public_id"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_access_grant_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_outbox_unit_id_unit")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_outbox_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_kind"))

    op.drop_table("outbox")
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grant_requester_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_public_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_person_id"))

    op.drop_table("access_grant")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_public_id"))
        batch_op.drop_index(batch_op.f("ix_person_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_person_id_card_index"))

    op.drop_table("person")
