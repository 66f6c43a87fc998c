"""Encrypted missing-case photos; subscriber opt-out.

``missing_case_photo.content`` holds the photo as a field-encrypted token; ``data`` (the photo
in clear) becomes nullable. The key store is not reachable from a migration, so existing photos
stay in ``data`` until ``fanguai alerts encrypt-photos`` (or the worker job ``alerts.photos``)
encrypts them into ``content`` and empties ``data``: nothing is lost in between, the routes read
either. ``alert_subscriber.opted_out_at`` records a withdrawal of consent; ``deactivated_at``
and ``erased_at`` the staff deactivation that starts a volunteer's or app user's retention
clock and the erasure of their address or token at its end (subscribers deactivated before
0016 get the clock started by the job's first run).

Downgrade: refused while a photo exists only encrypted (run
``fanguai alerts encrypt-photos --decrypt`` first, which puts them back in ``data``).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fanguai.db import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("missing_case_photo") as batch:
        batch.add_column(sa.Column("content", sa.Text(), nullable=True))
        batch.alter_column("data", existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table("alert_subscriber") as batch:
        batch.add_column(sa.Column("opted_out_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("deactivated_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    encrypted_only = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM missing_case_photo WHERE data IS NULL"))
        .scalar_one()
    )
    if encrypted_only:
        raise RuntimeError(
            f"{encrypted_only} missing-case photo(s) are stored only encrypted; run "
            "`fanguai alerts encrypt-photos --decrypt` before downgrading below 0016"
        )
    with op.batch_alter_table("alert_subscriber") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("deactivated_at")
        batch.drop_column("opted_out_at")
    with op.batch_alter_table("missing_case_photo") as batch:
        batch.drop_column("content")
        batch.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
