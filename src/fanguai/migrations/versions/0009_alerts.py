"""Missing-child cases and alerts: cases, team, timeline, photos; alerts, stages, subscribers,
endpoints, batches, deliveries (unique per stage and subscriber), hand-off packages.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_endpoint",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=120), nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "kind IN ('webhook','smtp','sms_gateway')", name=op.f("ck_alert_endpoint_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_endpoint")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_endpoint_name")),
    )
    op.create_index(
        op.f("ix_alert_endpoint_public_id"), "alert_endpoint", ["public_id"], unique=True
    )
    op.create_table(
        "missing_case_counter",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "year", name=op.f("pk_missing_case_counter")),
    )
    op.create_table(
        "alert_subscriber",
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("hub_type", sa.String(length=10), nullable=True),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("address_hint", sa.String(length=40), nullable=True),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "channel IN ('internal','webhook','email','sms')",
            name=op.f("ck_alert_subscriber_channel"),
        ),
        sa.CheckConstraint(
            "kind IN ('police_unit','transport_hub','volunteer','app_user','partner')",
            name=op.f("ck_alert_subscriber_kind"),
        ),
        sa.CheckConstraint("(lat IS NULL) = (lng IS NULL)", name=op.f("ck_alert_subscriber_point")),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["alert_endpoint.id"],
            name=op.f("fk_alert_subscriber_endpoint_id_alert_endpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_alert_subscriber_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriber")),
    )
    op.create_index(
        op.f("ix_alert_subscriber_endpoint_id"), "alert_subscriber", ["endpoint_id"], unique=False
    )
    op.create_index(
        op.f("ix_alert_subscriber_public_id"), "alert_subscriber", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_alert_subscriber_version"), "alert_subscriber", ["version"], unique=False
    )
    op.create_table(
        "missing_case",
        sa.Column("case_no", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("guardian_person_id", sa.Integer(), nullable=True),
        sa.Column("lead_public_id", sa.String(length=36), nullable=True),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("child_sex", sa.String(length=8), nullable=False),
        sa.Column("child_age", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("last_seen_place", sa.Text(), nullable=True),
        sa.Column("last_seen_lat", sa.Float(), nullable=True),
        sa.Column("last_seen_lng", sa.Float(), nullable=True),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_month", sa.String(length=7), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("last_reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL AND signed_off_by_id IS NOT NULL)",
            name=op.f("ck_missing_case_closed_signed"),
        ),
        sa.CheckConstraint(
            "category IN ('suspected_abduction','lost','runaway','other')",
            name=op.f("ck_missing_case_category"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('found_alive','found_dead','other')",
            name=op.f("ck_missing_case_outcome"),
        ),
        sa.CheckConstraint("status IN ('open','closed')", name=op.f("ck_missing_case_status")),
        sa.ForeignKeyConstraint(
            ["guardian_person_id"],
            ["person.id"],
            name=op.f("fk_missing_case_guardian_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["staff_user.id"], name=op.f("fk_missing_case_leader_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_missing_case_owner_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_missing_case_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"],
            ["staff_user.id"],
            name=op.f("fk_missing_case_signed_off_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_case")),
        sa.UniqueConstraint("case_no", name=op.f("uq_missing_case_case_no")),
    )
    op.create_index(
        "ix_missing_case_county_month",
        "missing_case",
        ["county_code", "opened_month"],
        unique=False,
    )
    op.create_index(
        op.f("ix_missing_case_county_code"), "missing_case", ["county_code"], unique=False
    )
    op.create_index(
        op.f("ix_missing_case_lead_public_id"), "missing_case", ["lead_public_id"], unique=False
    )
    op.create_index(op.f("ix_missing_case_opened_at"), "missing_case", ["opened_at"], unique=False)
    op.create_index(
        op.f("ix_missing_case_owner_unit_id"), "missing_case", ["owner_unit_id"], unique=False
    )
    op.create_index(op.f("ix_missing_case_person_id"), "missing_case", ["person_id"], unique=False)
    op.create_index(op.f("ix_missing_case_public_id"), "missing_case", ["public_id"], unique=True)
    op.create_index(op.f("ix_missing_case_status"), "missing_case", ["status"], unique=False)
    op.create_table(
        "alert",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("status IN ('active','withdrawn')", name=op.f("ck_alert_status")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["missing_case.id"], name=op.f("fk_alert_case_id_missing_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("case_id", name=op.f("uq_alert_case_id")),
    )
    op.create_index(op.f("ix_alert_public_id"), "alert", ["public_id"], unique=True)
    op.create_index(op.f("ix_alert_status"), "alert", ["status"], unique=False)
    op.create_table(
        "missing_case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["missing_case.id"],
            name=op.f("fk_missing_case_event_case_id_missing_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_case_event")),
    )
    op.create_index(
        op.f("ix_missing_case_event_case_id"), "missing_case_event", ["case_id"], unique=False
    )
    op.create_table(
        "missing_case_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('leader','member')", name=op.f("ck_missing_case_member_role")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["missing_case.id"],
            name=op.f("fk_missing_case_member_case_id_missing_case"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_missing_case_member_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_case_member")),
        sa.UniqueConstraint(
            "case_id", "user_id", name=op.f("uq_missing_case_member_case_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_missing_case_member_case_id"), "missing_case_member", ["case_id"], unique=False
    )
    op.create_table(
        "missing_case_photo",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["missing_case.id"],
            name=op.f("fk_missing_case_photo_case_id_missing_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_case_photo")),
    )
    op.create_index(
        op.f("ix_missing_case_photo_case_id"), "missing_case_photo", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_missing_case_photo_public_id"), "missing_case_photo", ["public_id"], unique=True
    )
    op.create_table(
        "alert_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("inner_km", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("planned_upto", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("leaves_jiangsu", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('publish','widen','withdraw')", name=op.f("ck_alert_stage_kind")
        ),
        sa.CheckConstraint(
            "status IN ('planning','planned','cancelled')", name=op.f("ck_alert_stage_status")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_stage_alert_id_alert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_stage")),
        sa.UniqueConstraint("alert_id", "seq", name=op.f("uq_alert_stage_alert_id_seq")),
    )
    op.create_index(op.f("ix_alert_stage_alert_id"), "alert_stage", ["alert_id"], unique=False)
    op.create_index(op.f("ix_alert_stage_status"), "alert_stage", ["status"], unique=False)
    op.create_table(
        "alert_batch",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','sending','sent','retry','failed','cancelled')",
            name=op.f("ck_alert_batch_status"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["alert_endpoint.id"],
            name=op.f("fk_alert_batch_endpoint_id_alert_endpoint"),
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["alert_stage.id"], name=op.f("fk_alert_batch_stage_id_alert_stage")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_batch")),
    )
    op.create_index(
        "ix_alert_batch_due", "alert_batch", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_alert_batch_public_id"), "alert_batch", ["public_id"], unique=True)
    op.create_index(op.f("ix_alert_batch_stage_id"), "alert_batch", ["stage_id"], unique=False)
    op.create_table(
        "alert_handoff",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("package", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_handoff_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["alert_stage.id"], name=op.f("fk_alert_handoff_stage_id_alert_stage")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_handoff")),
        sa.UniqueConstraint("stage_id", name=op.f("uq_alert_handoff_stage_id")),
    )
    op.create_index(op.f("ix_alert_handoff_alert_id"), "alert_handoff", ["alert_id"], unique=False)
    op.create_index(op.f("ix_alert_handoff_public_id"), "alert_handoff", ["public_id"], unique=True)
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["alert_batch.id"], name=op.f("fk_alert_delivery_batch_id_alert_batch")
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["alert_stage.id"], name=op.f("fk_alert_delivery_stage_id_alert_stage")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["alert_subscriber.id"],
            name=op.f("fk_alert_delivery_subscriber_id_alert_subscriber"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint(
            "stage_id", "subscriber_id", name=op.f("uq_alert_delivery_stage_id_subscriber_id")
        ),
    )
    op.create_index(
        op.f("ix_alert_delivery_batch_id"), "alert_delivery", ["batch_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("alert_delivery")
    op.drop_table("alert_handoff")
    op.drop_table("alert_batch")
    op.drop_table("alert_stage")
    op.drop_table("missing_case_photo")
    op.drop_table("missing_case_member")
    op.drop_table("missing_case_event")
    op.drop_table("alert")
    op.drop_table("missing_case")
    op.drop_table("alert_subscriber")
    op.drop_table("missing_case_counter")
    op.drop_table("alert_endpoint")
