"""Tables of the leads module: leads, their timeline and photos, registered mandatory-reporting
institutions, and the abuse-control tables (idempotency keys, rate buckets, spent challenges).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, *, nullable: bool = True) -> sa.Column:
    """An integer foreign key column named by the project's naming convention."""
    name = f"fk_{table}_{column}_{target}"
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(f"{target}.id", name=name), nullable=nullable
    )


def _public_id() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(36), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "lead_institution",
        *_public_id(),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        _fk("lead_institution", "supervising_unit_id", "unit", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_lead_institution_name"),
    )
    op.create_index("ix_lead_institution_public_id", "lead_institution", ["public_id"], unique=True)
    op.create_index("ix_lead_institution_county_code", "lead_institution", ["county_code"])
    op.create_index(
        "ix_lead_institution_supervising_unit_id", "lead_institution", ["supervising_unit_id"]
    )

    op.create_table(
        "lead_institution_member",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey(
                "staff_user.id",
                name="fk_lead_institution_member_user_id_staff_user",
                ondelete="CASCADE",
            ),
            primary_key=True,
        ),
        sa.Column(
            "institution_id",
            sa.Integer(),
            sa.ForeignKey(
                "lead_institution.id",
                name="fk_lead_institution_member_institution_id_lead_institution",
            ),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_lead_institution_member_institution_id", "lead_institution_member", ["institution_id"]
    )

    op.create_table(
        "lead",
        *_public_id(),
        sa.Column("tracking_code", sa.String(16), nullable=False),
        sa.Column("passphrase_salt", sa.String(32), nullable=False),
        sa.Column("passphrase_hash", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("lead_type", sa.String(24), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("quarantine_reason", sa.String(40)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("case_public_id", sa.String(36)),
        _fk("lead", "merged_into_id", "lead"),
        _fk("lead", "duplicate_of_id", "lead"),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("received_month", sa.String(7), nullable=False),
        sa.Column("received_hour", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime()),
        sa.Column(
            "owner_unit_id",
            sa.Integer(),
            sa.ForeignKey("unit.id", name="fk_lead_owner_unit_id_unit"),
            nullable=False,
        ),
        _fk("lead", "institution_id", "lead_institution"),
        sa.Column(
            "intake_user_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_lead_intake_user_id_staff_user"),
        ),
        sa.Column("reporter_kind", sa.String(12), nullable=False),
        sa.Column("reporter_name", sa.Text()),
        sa.Column("reporter_phone", sa.Text()),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("child", sa.Text()),
        sa.Column("place_text", sa.Text()),
        sa.Column("point", sa.Text()),
        sa.Column("last_seen_at", UTCDateTime()),
        sa.Column("ack_due_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column(
            "acknowledged_by_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_lead_acknowledged_by_id_staff_user"),
        ),
        sa.Column("ack_minutes", sa.Integer()),
        sa.Column("ack_in_time", sa.Boolean()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column(
            "closed_by_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_lead_closed_by_id_staff_user"),
        ),
        sa.Column("outcome_note", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("tracking_code", name="uq_lead_tracking_code"),
        sa.UniqueConstraint("subject_id", name="uq_lead_subject_id"),
        sa.CheckConstraint(
            "status IN ('quarantined','received','acknowledged','closed')", name="ck_lead_status"
        ),
        sa.CheckConstraint("urgency IN ('urgent','normal')", name="ck_lead_urgency"),
        sa.CheckConstraint(
            "channel IN ('public','hotline','portal','api')", name="ck_lead_channel"
        ),
    )
    op.create_index("ix_lead_public_id", "lead", ["public_id"], unique=True)
    op.create_index("ix_lead_county_month", "lead", ["county_code", "received_month"])
    op.create_index("ix_lead_duplicate_of_id", "lead", ["duplicate_of_id"])
    op.create_index("ix_lead_lead_type", "lead", ["lead_type"])
    op.create_index("ix_lead_owner_unit_id", "lead", ["owner_unit_id"])
    op.create_index("ix_lead_received_hour", "lead", ["received_hour"])
    op.create_index("ix_lead_status", "lead", ["status"])

    op.create_table(
        "lead_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "lead_id",
            sa.Integer(),
            sa.ForeignKey("lead.id", name="fk_lead_event_lead_id_lead", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("staff_user.id", name="fk_lead_event_user_id_staff_user"),
        ),
        _fk("lead_event", "from_unit_id", "unit"),
        _fk("lead_event", "to_unit_id", "unit"),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_lead_event_lead_id", "lead_event", ["lead_id"])

    op.create_table(
        "lead_attachment",
        *_public_id(),
        sa.Column(
            "lead_id",
            sa.Integer(),
            sa.ForeignKey("lead.id", name="fk_lead_attachment_lead_id_lead", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_lead_attachment_public_id", "lead_attachment", ["public_id"], unique=True)
    op.create_index("ix_lead_attachment_lead_id", "lead_attachment", ["lead_id"])

    op.create_table(
        "lead_idempotency",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(48), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column(
            "lead_id",
            sa.Integer(),
            sa.ForeignKey("lead.id", name="fk_lead_idempotency_lead_id_lead", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("scope", "key_hash", name="uq_lead_idempotency_scope_key_hash"),
    )
    op.create_index("ix_lead_idempotency_lead_id", "lead_idempotency", ["lead_id"])
    op.create_index("ix_lead_idempotency_expires_at", "lead_idempotency", ["expires_at"])

    op.create_table(
        "lead_rate_bucket",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_lead_rate_bucket_window_end", "lead_rate_bucket", ["window_end"])

    op.create_table(
        "lead_pow_spent",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_lead_pow_spent_expires_at", "lead_pow_spent", ["expires_at"])


def downgrade() -> None:
    for table in (
        "lead_pow_spent",
        "lead_rate_bucket",
        "lead_idempotency",
        "lead_attachment",
        "lead_event",
        "lead",
        "lead_institution_member",
        "lead_institution",
    ):
        op.drop_table(table)
