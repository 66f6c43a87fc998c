"""Tables of the plan accountability module: reporting cycles, progress reports,
contributions, figures, evidence, local implementing rules, rubrics, evaluations, scores,
commendation and criticism lists, and the dashboard's rollup of the operational modules.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_rollup",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "county_code", "month", name=op.f("pk_dashboard_rollup")),
    )
    op.create_table(
        "dashboard_rollup_state",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.Column("full_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_dashboard_rollup_state")),
    )
    op.create_table(
        "dashboard_extra",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dashboard_extra")),
    )
    op.create_table(
        "progress_rubric",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_rubric")),
        sa.UniqueConstraint("name", name=op.f("uq_progress_rubric_name")),
    )
    op.create_index(
        op.f("ix_progress_rubric_public_id"), "progress_rubric", ["public_id"], unique=True
    )
    op.create_table(
        "progress_rubric_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.CheckConstraint("max_score > 0", name=op.f("ck_progress_rubric_criterion_max_score")),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["progress_rubric.id"],
            name=op.f("fk_progress_rubric_criterion_rubric_id_progress_rubric"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_rubric_criterion")),
        sa.UniqueConstraint(
            "rubric_id", "code", name=op.f("uq_progress_rubric_criterion_rubric_id_code")
        ),
    )
    op.create_index(
        op.f("ix_progress_rubric_criterion_rubric_id"),
        "progress_rubric_criterion",
        ["rubric_id"],
        unique=False,
    )
    op.create_table(
        "progress_cycle",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("status IN ('open','closed')", name=op.f("ck_progress_cycle_status")),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_cycle_opened_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_progress_cycle_plan_version_id_plan_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_cycle")),
        sa.UniqueConstraint("name", name=op.f("uq_progress_cycle_name")),
    )
    op.create_index(
        op.f("ix_progress_cycle_public_id"), "progress_cycle", ["public_id"], unique=True
    )
    op.create_table(
        "progress_evaluation",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("document_number", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("cycle_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("kind IN ('phase','final')", name=op.f("ck_progress_evaluation_kind")),
        sa.CheckConstraint(
            "status IN ('scoring','closed')", name=op.f("ck_progress_evaluation_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_evaluation_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["progress_rubric.id"],
            name=op.f("fk_progress_evaluation_rubric_id_progress_rubric"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_evaluation")),
    )
    op.create_index(
        op.f("ix_progress_evaluation_public_id"), "progress_evaluation", ["public_id"], unique=True
    )
    op.create_table(
        "progress_local_rules",
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("office_unit_id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("adopted_at", UTCDateTime(), nullable=False),
        sa.Column("adopted_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["adopted_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_local_rules_adopted_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["division_code"],
            ["division.code"],
            name=op.f("fk_progress_local_rules_division_code_division"),
        ),
        sa.ForeignKeyConstraint(
            ["office_unit_id"],
            ["unit.id"],
            name=op.f("fk_progress_local_rules_office_unit_id_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_progress_local_rules_plan_version_id_plan_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_local_rules")),
        sa.UniqueConstraint("division_code", name=op.f("uq_progress_local_rules_division_code")),
    )
    op.create_index(
        op.f("ix_progress_local_rules_public_id"),
        "progress_local_rules",
        ["public_id"],
        unique=True,
    )
    op.create_table(
        "progress_local_measure",
        sa.Column("rules_id", sa.Integer(), nullable=False),
        sa.Column("source_measure_id", sa.Integer(), nullable=True),
        sa.Column("section_code", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["rules_id"],
            ["progress_local_rules.id"],
            name=op.f("fk_progress_local_measure_rules_id_progress_local_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["source_measure_id"],
            ["measure.id"],
            name=op.f("fk_progress_local_measure_source_measure_id_measure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_local_measure")),
        sa.UniqueConstraint(
            "rules_id", "code", name=op.f("uq_progress_local_measure_rules_id_code")
        ),
    )
    op.create_index(
        op.f("ix_progress_local_measure_public_id"),
        "progress_local_measure",
        ["public_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_progress_local_measure_rules_id"),
        "progress_local_measure",
        ["rules_id"],
        unique=False,
    )
    op.create_table(
        "progress_recognition",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "kind IN ('commend','criticise')", name=op.f("ck_progress_recognition_kind")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_recognition_decided_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["progress_evaluation.id"],
            name=op.f("fk_progress_recognition_evaluation_id_progress_evaluation"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_recognition_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_recognition")),
        sa.UniqueConstraint(
            "evaluation_id", "unit_id", name=op.f("uq_progress_recognition_evaluation_id_unit_id")
        ),
    )
    op.create_index(
        op.f("ix_progress_recognition_evaluation_id"),
        "progress_recognition",
        ["evaluation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_recognition_public_id"),
        "progress_recognition",
        ["public_id"],
        unique=True,
    )
    op.create_table(
        "progress_local_measure_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("local_measure_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('lead','cooperating')", name=op.f("ck_progress_local_measure_unit_role")
        ),
        sa.ForeignKeyConstraint(
            ["local_measure_id"],
            ["progress_local_measure.id"],
            name=op.f("fk_progress_local_measure_unit_local_measure_id_progress_local_measure"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_local_measure_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_local_measure_unit")),
    )
    op.create_index(
        op.f("ix_progress_local_measure_unit_local_measure_id"),
        "progress_local_measure_unit",
        ["local_measure_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_local_measure_unit_unit_id"),
        "progress_local_measure_unit",
        ["unit_id"],
        unique=False,
    )
    op.create_table(
        "progress_report",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("local_measure_id", sa.Integer(), nullable=True),
        sa.Column("measure_code", sa.String(length=40), nullable=False),
        sa.Column("section_code", sa.String(length=40), nullable=False),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("consolidates", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("implementation", sa.String(length=20), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','submitted')", name=op.f("ck_progress_report_status")
        ),
        sa.CheckConstraint(
            "(measure_id IS NULL) <> (local_measure_id IS NULL)",
            name=op.f("ck_progress_report_one_measure"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["progress_cycle.id"],
            name=op.f("fk_progress_report_cycle_id_progress_cycle"),
        ),
        sa.ForeignKeyConstraint(
            ["local_measure_id"],
            ["progress_local_measure.id"],
            name=op.f("fk_progress_report_local_measure_id_progress_local_measure"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure.id"], name=op.f("fk_progress_report_measure_id_measure")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_report_submitted_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_report_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_report")),
        sa.UniqueConstraint(
            "cycle_id",
            "unit_id",
            "measure_id",
            "local_measure_id",
            name=op.f("uq_progress_report_cycle_id_unit_id_measure_id_local_measure_id"),
        ),
    )
    op.create_index(
        op.f("ix_progress_report_cycle_id"), "progress_report", ["cycle_id"], unique=False
    )
    op.create_index(
        "ix_progress_report_cycle_status", "progress_report", ["cycle_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_progress_report_division_code"), "progress_report", ["division_code"], unique=False
    )
    op.create_index(
        op.f("ix_progress_report_public_id"), "progress_report", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_progress_report_section_code"), "progress_report", ["section_code"], unique=False
    )
    op.create_index(
        op.f("ix_progress_report_unit_id"), "progress_report", ["unit_id"], unique=False
    )
    op.create_table(
        "progress_contribution",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("consolidated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','submitted')", name=op.f("ck_progress_contribution_status")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_progress_contribution_report_id_progress_report"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_contribution_submitted_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_contribution_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_contribution")),
        sa.UniqueConstraint(
            "report_id", "unit_id", name=op.f("uq_progress_contribution_report_id_unit_id")
        ),
    )
    op.create_index(
        op.f("ix_progress_contribution_public_id"),
        "progress_contribution",
        ["public_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_progress_contribution_report_id"),
        "progress_contribution",
        ["report_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_contribution_unit_id"), "progress_contribution", ["unit_id"], unique=False
    )
    op.create_table(
        "progress_evaluation_item",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("measure_code", sa.String(length=40), nullable=False),
        sa.Column("section_code", sa.String(length=40), nullable=False),
        sa.Column("measure_text", sa.Text(), nullable=False),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("reports_due", sa.Integer(), nullable=False),
        sa.Column("reports_on_time", sa.Integer(), nullable=False),
        sa.Column("reports_late", sa.Integer(), nullable=False),
        sa.Column("evidence_files", sa.Integer(), nullable=False),
        sa.Column("latest_implementation", sa.String(length=20), nullable=True),
        sa.Column("latest_report_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["progress_evaluation.id"],
            name=op.f("fk_progress_evaluation_item_evaluation_id_progress_evaluation"),
        ),
        sa.ForeignKeyConstraint(
            ["latest_report_id"],
            ["progress_report.id"],
            name=op.f("fk_progress_evaluation_item_latest_report_id_progress_report"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_evaluation_item_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_evaluation_item")),
        sa.UniqueConstraint(
            "evaluation_id",
            "unit_id",
            "measure_code",
            name=op.f("uq_progress_evaluation_item_evaluation_id_unit_id_measure_code"),
        ),
    )
    op.create_index(
        op.f("ix_progress_evaluation_item_evaluation_id"),
        "progress_evaluation_item",
        ["evaluation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_evaluation_item_public_id"),
        "progress_evaluation_item",
        ["public_id"],
        unique=True,
    )
    op.create_table(
        "progress_evidence",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["progress_contribution.id"],
            name=op.f("fk_progress_evidence_contribution_id_progress_contribution"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_progress_evidence_report_id_progress_report"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_progress_evidence_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_evidence_uploaded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_evidence")),
    )
    op.create_index(
        op.f("ix_progress_evidence_public_id"), "progress_evidence", ["public_id"], unique=True
    )
    op.create_index(
        op.f("ix_progress_evidence_report_id"), "progress_evidence", ["report_id"], unique=False
    )
    op.create_table(
        "progress_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("indicator", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_progress_figure_value")),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["progress_contribution.id"],
            name=op.f("fk_progress_figure_contribution_id_progress_contribution"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_progress_figure_report_id_progress_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_figure")),
    )
    op.create_index(
        op.f("ix_progress_figure_contribution_id"),
        "progress_figure",
        ["contribution_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_figure_report_id"), "progress_figure", ["report_id"], unique=False
    )
    op.create_table(
        "progress_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=80), nullable=False),
        sa.Column("criterion", sa.String(length=30), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("suggested", sa.Boolean(), nullable=False),
        sa.Column("scored_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("score >= 0", name=op.f("ck_progress_score_score")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["progress_evaluation_item.id"],
            name=op.f("fk_progress_score_item_id_progress_evaluation_item"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_score_reviewer_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_score")),
        sa.UniqueConstraint(
            "item_id",
            "reviewer_name",
            "criterion",
            name=op.f("uq_progress_score_item_id_reviewer_name_criterion"),
        ),
    )
    op.create_index(op.f("ix_progress_score_item_id"), "progress_score", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_table("progress_score")
    op.drop_table("progress_figure")
    op.drop_table("progress_evidence")
    op.drop_table("progress_evaluation_item")
    op.drop_table("progress_contribution")
    op.drop_table("progress_report")
    op.drop_table("progress_local_measure_unit")
    op.drop_table("progress_recognition")
    op.drop_table("progress_local_measure")
    op.drop_table("progress_local_rules")
    op.drop_table("progress_evaluation")
    op.drop_table("progress_cycle")
    op.drop_table("progress_rubric_criterion")
    op.drop_table("progress_rubric")
    op.drop_table("dashboard_rollup_state")
    op.drop_table("dashboard_rollup")
    op.drop_table("dashboard_extra")
