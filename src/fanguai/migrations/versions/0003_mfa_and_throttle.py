"""Second factor (TOTP) on staff users and sessions; per-address login throttle.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("disabled_reason", sa.String(length=200)))
        batch.add_column(sa.Column("totp_secret", sa.Text()))
        batch.add_column(
            sa.Column("totp_last_step", sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
        )
        batch.add_column(sa.Column("mfa_enrolled_at", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column("recovery_codes", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(
            sa.Column("mfa_passed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("mfa_at", sa.DateTime(timezone=True)))
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )


def downgrade() -> None:
    op.drop_table("auth_throttle")
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("mfa_at")
        batch.drop_column("mfa_passed")
    with op.batch_alter_table("staff_user") as batch:
        for column in (
            "recovery_codes",
            "mfa_enrolled_at",
            "totp_last_step",
            "totp_secret",
            "disabled_reason",
            "password_changed_at",
        ):
            batch.drop_column(column)
