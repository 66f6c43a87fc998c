"""Tables of the victim assistance module: the special file, services, consent, referrals,
the designated-hospital registry and the rules' fire record.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    referred = target.split(".")[0]
    return sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}")


def _ids() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(36), nullable=False),
    ]


def _public_index(table: str) -> None:
    op.create_index(f"ix_{table}_public_id", table, ["public_id"], unique=True)


def upgrade() -> None:
    op.create_table(
        "victim_file",
        *_ids(),
        sa.Column("file_no", sa.String(24), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column(
            "owner_unit_id",
            sa.Integer(),
            _fk("victim_file", "owner_unit_id", "unit.id"),
            nullable=False,
        ),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("opened_month", sa.String(7), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column(
            "caseworker_id", sa.Integer(), _fk("victim_file", "caseworker_id", "staff_user.id")
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("age_min", sa.Integer()),
        sa.Column("age_max", sa.Integer()),
        sa.Column("nationality", sa.String(2), nullable=False),
        sa.Column("origin_county", sa.String(6)),
        sa.Column("person_public_id", sa.String(36)),
        sa.Column("found_person_public_id", sa.String(36)),
        sa.Column("wants_work", sa.Boolean()),
        sa.Column("identified_on", sa.Date()),
        sa.Column("hukou_applied_on", sa.Date()),
        sa.Column("hukou_registered_on", sa.Date()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("close_reason", sa.String(20)),
        sa.Column("erased_at", UTCDateTime()),
        sa.Column("name", sa.Text()),
        sa.Column("birth_date", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.Column("exploitation", sa.Text()),
        sa.CheckConstraint("status IN ('open','returned','closed')", name="ck_victim_file_status"),
        sa.UniqueConstraint("file_no", name="uq_victim_file_file_no"),
        sa.UniqueConstraint("subject_id", name="uq_victim_file_subject_id"),
    )
    _public_index("victim_file")
    op.create_index("ix_victim_file_owner_unit_id", "victim_file", ["owner_unit_id"])
    op.create_index("ix_victim_file_caseworker_id", "victim_file", ["caseworker_id"])
    op.create_index("ix_victim_file_status", "victim_file", ["status"])
    op.create_index(
        "ix_victim_file_found_person_public_id", "victim_file", ["found_person_public_id"]
    )
    op.create_index(
        "ix_victim_file_county_month", "victim_file", ["county_code", "opened_month", "opened_at"]
    )

    op.create_table(
        "victim_assessment",
        *_ids(),
        sa.Column(
            "file_id",
            sa.Integer(),
            _fk("victim_assessment", "file_id", "victim_file.id"),
            nullable=False,
        ),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column(
            "assessed_by_id",
            sa.Integer(),
            _fk("victim_assessment", "assessed_by_id", "staff_user.id"),
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    _public_index("victim_assessment")
    op.create_index("ix_victim_assessment_file_id", "victim_assessment", ["file_id"])

    op.create_table(
        "victim_consent",
        *_ids(),
        sa.Column(
            "file_id",
            sa.Integer(),
            _fk("victim_consent", "file_id", "victim_file.id"),
            nullable=False,
        ),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("given_by", sa.String(24), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date()),
        sa.Column(
            "recorded_by_id", sa.Integer(), _fk("victim_consent", "recorded_by_id", "staff_user.id")
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    _public_index("victim_consent")
    op.create_index("ix_victim_consent_file_id", "victim_consent", ["file_id"])

    op.create_table(
        "victim_hospital",
        *_ids(),
        sa.Column(
            "county_code",
            sa.String(6),
            _fk("victim_hospital", "county_code", "division.code"),
            nullable=False,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("disability_assessment", sa.Boolean(), nullable=False),
        sa.Column("designated_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date()),
        sa.Column("unit_id", sa.Integer(), _fk("victim_hospital", "unit_id", "unit.id")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("county_code", "name", name="uq_victim_hospital_county_code_name"),
    )
    _public_index("victim_hospital")
    op.create_index("ix_victim_hospital_county_code", "victim_hospital", ["county_code"])

    op.create_table(
        "victim_service",
        *_ids(),
        sa.Column(
            "file_id",
            sa.Integer(),
            _fk("victim_service", "file_id", "victim_file.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        sa.Column(
            "hospital_id", sa.Integer(), _fk("victim_service", "hospital_id", "victim_hospital.id")
        ),
        sa.Column("followup_month", sa.Integer()),
        sa.Column("details", sa.Text()),
        sa.Column(
            "recorded_by_id", sa.Integer(), _fk("victim_service", "recorded_by_id", "staff_user.id")
        ),
        sa.Column(
            "recorded_unit_id", sa.Integer(), _fk("victim_service", "recorded_unit_id", "unit.id")
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    _public_index("victim_service")
    op.create_index("ix_victim_service_file_id", "victim_service", ["file_id"])
    op.create_index("ix_victim_service_kind", "victim_service", ["kind"])
    op.create_index("ix_victim_service_recorded_unit_id", "victim_service", ["recorded_unit_id"])

    op.create_table(
        "victim_referral",
        *_ids(),
        sa.Column(
            "file_id",
            sa.Integer(),
            _fk("victim_referral", "file_id", "victim_file.id"),
            nullable=False,
        ),
        sa.Column(
            "from_unit_id",
            sa.Integer(),
            _fk("victim_referral", "from_unit_id", "unit.id"),
            nullable=False,
        ),
        sa.Column(
            "to_unit_id",
            sa.Integer(),
            _fk("victim_referral", "to_unit_id", "unit.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column(
            "consent_id", sa.Integer(), _fk("victim_referral", "consent_id", "victim_consent.id")
        ),
        sa.Column("override_reason", sa.Text()),
        sa.Column("note", sa.String(200)),
        sa.Column("decision_note", sa.String(200)),
        sa.Column(
            "requested_by_id",
            sa.Integer(),
            _fk("victim_referral", "requested_by_id", "staff_user.id"),
        ),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column(
            "decided_by_id", sa.Integer(), _fk("victim_referral", "decided_by_id", "staff_user.id")
        ),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("done_at", UTCDateTime()),
        sa.CheckConstraint(
            "status IN ('pending','accepted','rejected','done')", name="ck_victim_referral_status"
        ),
    )
    _public_index("victim_referral")
    op.create_index("ix_victim_referral_file_id", "victim_referral", ["file_id"])
    op.create_index("ix_victim_referral_to_unit_id", "victim_referral", ["to_unit_id"])

    op.create_table(
        "victim_rule_fire",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "file_id",
            sa.Integer(),
            _fk("victim_rule_fire", "file_id", "victim_file.id"),
            nullable=False,
        ),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("file_id", "rule", name="uq_victim_rule_fire_file_id_rule"),
    )
    op.create_index("ix_victim_rule_fire_file_id", "victim_rule_fire", ["file_id"])


def downgrade() -> None:
    for table in (
        "victim_rule_fire",
        "victim_referral",
        "victim_service",
        "victim_hospital",
        "victim_consent",
        "victim_assessment",
        "victim_file",
    ):
        op.drop_table(table)
