"""One-time enrolment codes for the second factor (a password alone cannot enrol a device).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("enrolment_code_hash", sa.String(length=64)))


def downgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("enrolment_code_hash")
