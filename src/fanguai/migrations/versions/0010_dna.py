"""Tables of the DNA store: specimens, encrypted profiles, couples, restricted links,
candidate matches, re-tests, reveal grants, the index change log.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dna_index_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_index_change")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "dna_import",
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("layout", sa.String(length=8), nullable=False),
        sa.Column("kit", sa.String(length=60), nullable=False),
        sa.Column("lab", sa.String(length=80), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("specimens", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["staff_user.id"],
            name=op.f("fk_dna_import_imported_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_dna_import_owner_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_import")),
    )
    op.create_index(
        op.f("ix_dna_import_owner_unit_id"), "dna_import", ["owner_unit_id"], unique=False
    )
    op.create_index(op.f("ix_dna_import_public_id"), "dna_import", ["public_id"], unique=True)
    op.create_table(
        "dna_specimen",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("kit", sa.String(length=60), nullable=False),
        sa.Column("lab", sa.String(length=80), nullable=False),
        sa.Column("lab_ref", sa.String(length=40), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["dna_import.id"], name=op.f("fk_dna_specimen_import_id_dna_import")
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["unit.id"], name=op.f("fk_dna_specimen_owner_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_specimen")),
        sa.UniqueConstraint("lab", "lab_ref", name=op.f("uq_dna_specimen_lab_lab_ref")),
    )
    op.create_index(op.f("ix_dna_specimen_import_id"), "dna_specimen", ["import_id"], unique=False)
    op.create_index(op.f("ix_dna_specimen_kind"), "dna_specimen", ["kind"], unique=False)
    op.create_index(
        op.f("ix_dna_specimen_owner_unit_id"), "dna_specimen", ["owner_unit_id"], unique=False
    )
    op.create_index(op.f("ix_dna_specimen_public_id"), "dna_specimen", ["public_id"], unique=True)
    op.create_index(
        op.f("ix_dna_specimen_retain_until"), "dna_specimen", ["retain_until"], unique=False
    )
    op.create_index(op.f("ix_dna_specimen_side"), "dna_specimen", ["side"], unique=False)
    op.create_table(
        "dna_couple",
        sa.Column("father_id", sa.Integer(), nullable=False),
        sa.Column("mother_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["father_id"], ["dna_specimen.id"], name=op.f("fk_dna_couple_father_id_dna_specimen")
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"], ["dna_specimen.id"], name=op.f("fk_dna_couple_mother_id_dna_specimen")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_couple")),
    )
    op.create_index(op.f("ix_dna_couple_father_id"), "dna_couple", ["father_id"], unique=False)
    op.create_index(op.f("ix_dna_couple_mother_id"), "dna_couple", ["mother_id"], unique=False)
    op.create_index(op.f("ix_dna_couple_public_id"), "dna_couple", ["public_id"], unique=True)
    op.create_table(
        "dna_profile",
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("genotypes", sa.Text(), nullable=True),
        sa.Column("locus_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["specimen_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_profile_specimen_id_dna_specimen"),
        ),
        sa.PrimaryKeyConstraint("specimen_id", name=op.f("pk_dna_profile")),
    )
    op.create_table(
        "dna_reveal_grant",
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["staff_user.id"],
            name=op.f("fk_dna_reveal_grant_approver_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["staff_user.id"],
            name=op.f("fk_dna_reveal_grant_requester_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["specimen_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_reveal_grant_specimen_id_dna_specimen"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_reveal_grant")),
    )
    op.create_index(
        op.f("ix_dna_reveal_grant_public_id"), "dna_reveal_grant", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_dna_reveal_grant_requester_id"), "dna_reveal_grant", ["requester_id"], unique=False
    )
    op.create_index(
        op.f("ix_dna_reveal_grant_specimen_id"), "dna_reveal_grant", ["specimen_id"], unique=False
    )
    op.create_table(
        "dna_specimen_link",
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=True),
        sa.Column("subject_index", sa.String(length=64), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["specimen_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_specimen_link_specimen_id_dna_specimen"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_specimen_link")),
    )
    op.create_index(
        op.f("ix_dna_specimen_link_public_id"), "dna_specimen_link", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_dna_specimen_link_specimen_id"), "dna_specimen_link", ["specimen_id"], unique=False
    )
    op.create_index(
        op.f("ix_dna_specimen_link_subject_index"),
        "dna_specimen_link",
        ["subject_index"],
        unique=False,
    )
    op.create_table(
        "dna_candidate_match",
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("couple_id", sa.Integer(), nullable=True),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("lr", sa.Float(), nullable=False),
        sa.Column("log10_lr", sa.Float(), nullable=False),
        sa.Column("inconsistent_loci", sa.Integer(), nullable=False),
        sa.Column("loci_compared", sa.Integer(), nullable=False),
        sa.Column("expected_false_hits", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("match_class", sa.String(length=12), nullable=False),
        sa.Column("engine_version", sa.String(length=20), nullable=False),
        sa.Column("frequency_table", sa.String(length=60), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("indexed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_candidate_match_child_id_dna_specimen"),
        ),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["dna_couple.id"],
            name=op.f("fk_dna_candidate_match_couple_id_dna_couple"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_candidate_match_parent_id_dna_specimen"),
        ),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_candidate_match_query_id_dna_specimen"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_candidate_match")),
    )
    op.create_index(
        op.f("ix_dna_candidate_match_child_id"), "dna_candidate_match", ["child_id"], unique=False
    )
    op.create_index(
        op.f("ix_dna_candidate_match_couple_id"), "dna_candidate_match", ["couple_id"], unique=False
    )
    op.create_index(
        op.f("ix_dna_candidate_match_parent_id"), "dna_candidate_match", ["parent_id"], unique=False
    )
    op.create_index(
        op.f("ix_dna_candidate_match_public_id"), "dna_candidate_match", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_dna_candidate_match_query_id"), "dna_candidate_match", ["query_id"], unique=False
    )
    op.create_table(
        "dna_retest",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("genotypes", sa.Text(), nullable=True),
        sa.Column("lr", sa.Float(), nullable=False),
        sa.Column("log10_lr", sa.Float(), nullable=True),
        sa.Column("inconsistent_loci", sa.Integer(), nullable=False),
        sa.Column("match_class", sa.String(length=12), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("discordant_loci", sa.Integer(), nullable=False),
        sa.Column("engine_version", sa.String(length=20), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_dna_retest_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["dna_candidate_match.id"],
            name=op.f("fk_dna_retest_match_id_dna_candidate_match"),
        ),
        sa.ForeignKeyConstraint(
            ["specimen_id"],
            ["dna_specimen.id"],
            name=op.f("fk_dna_retest_specimen_id_dna_specimen"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dna_retest")),
    )
    op.create_index(op.f("ix_dna_retest_match_id"), "dna_retest", ["match_id"], unique=False)
    op.create_index(op.f("ix_dna_retest_public_id"), "dna_retest", ["public_id"], unique=True)
    op.create_index(op.f("ix_dna_retest_specimen_id"), "dna_retest", ["specimen_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dna_retest")
    op.drop_table("dna_candidate_match")
    op.drop_table("dna_specimen_link")
    op.drop_table("dna_reveal_grant")
    op.drop_table("dna_profile")
    op.drop_table("dna_couple")
    op.drop_table("dna_specimen")
    op.drop_table("dna_import")
    op.drop_table("dna_index_change")
