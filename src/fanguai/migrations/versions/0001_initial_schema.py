"""Initial schema: divisions, units, roles, staff users, sessions, plan catalogue, audit chain.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 22:40:06.318206
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_user_id", sa.String(length=36), nullable=True),
        sa.Column("actor_unit", sa.String(length=64), nullable=True),
        sa.Column("actor_roles", sa.String(length=400), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_actor_user_id"), ["actor_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_object_id"), ["object_id"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "division",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=60), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.CheckConstraint("level IN ('province','city','county')", name=op.f("ck_division_level")),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["division.code"], name=op.f("fk_division_parent_code_division")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_division")),
    )
    with op.batch_alter_table("division", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_division_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "plan_version",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("name", name=op.f("uq_plan_version_name")),
    )
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_version_public_id"), ["public_id"], unique=True)

    op.create_table(
        "role",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_role")),
    )
    op.create_table(
        "measure",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("annotation", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["plan_version.id"], name=op.f("fk_measure_version_id_plan_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_measure_version_id_code")),
    )
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measure_public_id"), ["public_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_measure_version_id"), ["version_id"], unique=False)

    op.create_table(
        "unit",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("department", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("plan_name", sa.String(length=40), nullable=True),
        sa.Column("is_member", sa.Boolean(), nullable=False),
        sa.Column("is_office", sa.Boolean(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("level IN ('province','city','county')", name=op.f("ck_unit_level")),
        sa.ForeignKeyConstraint(
            ["division_code"], ["division.code"], name=op.f("fk_unit_division_code_division")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_public_id"), ["public_id"], unique=True)

    op.create_table(
        "measure_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure.id"], name=op.f("fk_measure_unit_measure_id_measure")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_measure_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_unit")),
    )
    with op.batch_alter_table("measure_unit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_unit_measure_id"), ["measure_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_measure_unit_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "staff_user",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_epoch", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_staff_user_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_user_public_id"), ["public_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_staff_user_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_code", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_code"], ["role.code"], name=op.f("fk_user_role_role_code_role")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_user_role_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_code", name=op.f("pk_user_role")),
    )
    op.create_table(
        "user_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("auth_epoch", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_user_session_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_session")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))

    op.drop_table("user_session")
    op.drop_table("user_role")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_user_unit_id"))
        batch_op.drop_index(batch_op.f("ix_staff_user_public_id"))

    op.drop_table("staff_user")
    with op.batch_alter_table("measure_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_unit_unit_id"))
        batch_op.drop_index(batch_op.f("ix_measure_unit_measure_id"))

    op.drop_table("measure_unit")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_public_id"))
        batch_op.drop_index(batch_op.f("ix_unit_parent_id"))
        batch_op.drop_index(batch_op.f("ix_unit_name"))
        batch_op.drop_index(batch_op.f("ix_unit_division_code"))
        batch_op.drop_index(batch_op.f("ix_unit_department"))

    op.drop_table("unit")
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_version_id"))
        batch_op.drop_index(batch_op.f("ix_measure_public_id"))

    op.drop_table("measure")
    op.drop_table("role")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_version_public_id"))

    op.drop_table("plan_version")
    with op.batch_alter_table("division", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_division_parent_code"))

    op.drop_table("division")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_object_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
