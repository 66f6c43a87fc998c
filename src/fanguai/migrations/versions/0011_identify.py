"""Tables of the identification module: found persons, long-missing records, candidates and
their evidence, reunifications, photos, imports, and the working calendar.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('holiday','workday')", name=op.f("ck_working_calendar_day_kind")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_calendar_day")),
    )
    op.create_table(
        "found_import",
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_found_import_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_found_import_owner_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_found_import")),
        sa.UniqueConstraint("digest", name=op.f("uq_found_import_digest")),
    )
    op.create_index(
        op.f("ix_found_import_owner_unit_id"), "found_import", ["owner_unit_id"], unique=False
    )
    op.create_index(op.f("ix_found_import_public_id"), "found_import", ["public_id"], unique=True)
    op.create_table(
        "missing_record",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("lost_on", sa.String(length=10), nullable=True),
        sa.Column("lost_place", sa.Text(), nullable=True),
        sa.Column("father_name", sa.Text(), nullable=True),
        sa.Column("mother_name", sa.Text(), nullable=True),
        sa.Column("features", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "status IN ('open','found','closed')", name=op.f("ck_missing_record_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_missing_record_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_missing_record_owner_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_missing_record_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_record")),
        sa.UniqueConstraint("person_id", name=op.f("uq_missing_record_person_id")),
    )
    op.create_index(
        op.f("ix_missing_record_county_code"), "missing_record", ["county_code"], unique=False
    )
    op.create_index(
        op.f("ix_missing_record_owner_unit_id"), "missing_record", ["owner_unit_id"], unique=False
    )
    op.create_index(
        op.f("ix_missing_record_public_id"), "missing_record", ["public_id"], unique=True
    )
    op.create_index(op.f("ix_missing_record_status"), "missing_record", ["status"], unique=False)
    op.create_table(
        "found_person",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("found_by", sa.Text(), nullable=True),
        sa.Column("found_place", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("documents", sa.Text(), nullable=True),
        sa.Column("claims", sa.Text(), nullable=True),
        sa.Column("shelter_entered_at", UTCDateTime(), nullable=True),
        sa.Column("search_notice_at", UTCDateTime(), nullable=True),
        sa.Column("search_notice_ref", sa.String(length=200), nullable=True),
        sa.Column("sampled_at", UTCDateTime(), nullable=True),
        sa.Column("sample_ref", sa.String(length=64), nullable=True),
        sa.Column("identified_at", UTCDateTime(), nullable=True),
        sa.Column("reunited_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("registered_month", sa.String(length=7), nullable=False),
        sa.Column("identified_month", sa.String(length=7), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "source IN ('census','household_registration','school_enrolment','out_of_hospital_birth','rescue','shelter_intake','wandering_minor')",
            name=op.f("ck_found_person_source"),
        ),
        sa.CheckConstraint(
            "status IN ('registered','sampled','identified','reunited','closed')",
            name=op.f("ck_found_person_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_found_person_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["found_import.id"], name=op.f("fk_found_person_import_id_found_import")
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_found_person_owner_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_found_person_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_found_person")),
        sa.UniqueConstraint("person_id", name=op.f("uq_found_person_person_id")),
    )
    op.create_index(
        "ix_found_person_county_month",
        "found_person",
        ["county_code", "registered_month", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_found_person_identified",
        "found_person",
        ["identified_month", "county_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_found_person_owner_unit_id"), "found_person", ["owner_unit_id"], unique=False
    )
    op.create_index(op.f("ix_found_person_public_id"), "found_person", ["public_id"], unique=True)
    op.create_index(op.f("ix_found_person_status"), "found_person", ["status"], unique=False)
    op.create_table(
        "found_photo",
        sa.Column("found_person_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_found_photo_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["found_person_id"],
            ["found_person.id"],
            name=op.f("fk_found_photo_found_person_id_found_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_found_photo")),
    )
    op.create_index(
        op.f("ix_found_photo_found_person_id"), "found_photo", ["found_person_id"], unique=False
    )
    op.create_index(op.f("ix_found_photo_public_id"), "found_photo", ["public_id"], unique=True)
    op.create_table(
        "identify_candidate",
        sa.Column("found_person_id", sa.Integer(), nullable=False),
        sa.Column("side_type", sa.String(length=16), nullable=False),
        sa.Column("side_id", sa.String(length=80), nullable=False),
        sa.Column("side_division", sa.String(length=6), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("rank_score", sa.Float(), nullable=False),
        sa.Column("revealed_at", UTCDateTime(), nullable=True),
        sa.Column("revealed_by_id", sa.Integer(), nullable=True),
        sa.Column("retest", sa.String(length=12), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "level IN ('lead','dna_supported','confirmed','excluded')",
            name=op.f("ck_identify_candidate_level"),
        ),
        sa.CheckConstraint(
            "side_type IN ('missing_case','missing_record','specimen')",
            name=op.f("ck_identify_candidate_side_type"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_identify_candidate_decided_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["found_person_id"],
            ["found_person.id"],
            name=op.f("fk_identify_candidate_found_person_id_found_person"),
        ),
        sa.ForeignKeyConstraint(
            ["revealed_by_id"],
            ["staff_user.id"],
            name=op.f("fk_identify_candidate_revealed_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identify_candidate")),
        sa.UniqueConstraint(
            "found_person_id",
            "side_type",
            "side_id",
            name=op.f("uq_identify_candidate_found_person_id_side_type_side_id"),
        ),
    )
    op.create_index(
        op.f("ix_identify_candidate_found_person_id"),
        "identify_candidate",
        ["found_person_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_identify_candidate_level"), "identify_candidate", ["level"], unique=False
    )
    op.create_index(
        op.f("ix_identify_candidate_public_id"), "identify_candidate", ["public_id"], unique=True
    )
    op.create_table(
        "identify_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("engine_version", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('dna','dna_retest','records','face')", name=op.f("ck_identify_evidence_kind")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["identify_candidate.id"],
            name=op.f("fk_identify_evidence_candidate_id_identify_candidate"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_identify_evidence_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identify_evidence")),
        sa.UniqueConstraint(
            "candidate_id", "kind", name=op.f("uq_identify_evidence_candidate_id_kind")
        ),
    )
    op.create_index(
        op.f("ix_identify_evidence_candidate_id"),
        "identify_evidence",
        ["candidate_id"],
        unique=False,
    )
    op.create_table(
        "reunification",
        sa.Column("found_person_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("reunited_on", sa.Date(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("family_contacted", sa.Text(), nullable=False),
        sa.Column("child_wishes", sa.Text(), nullable=True),
        sa.Column("victim_file_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["identify_candidate.id"],
            name=op.f("fk_reunification_candidate_id_identify_candidate"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_reunification_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["found_person_id"],
            ["found_person.id"],
            name=op.f("fk_reunification_found_person_id_found_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reunification")),
        sa.UniqueConstraint("found_person_id", name=op.f("uq_reunification_found_person_id")),
    )
    op.create_index(op.f("ix_reunification_public_id"), "reunification", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_table("reunification")
    op.drop_table("identify_evidence")
    op.drop_table("identify_candidate")
    op.drop_table("found_photo")
    op.drop_table("found_person")
    op.drop_table("missing_record")
    op.drop_table("found_import")
    op.drop_table("working_calendar_day")
