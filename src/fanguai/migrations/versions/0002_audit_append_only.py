"""Audit: client and priority columns, anchor after purge, append-only triggers (C4).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       WHEN NOT EXISTS (SELECT 1 FROM audit_purge_permit WHERE upto_seq >= OLD.seq)
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge_permit WHERE upto_seq >= OLD.seq) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_event is append-only';
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("client", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal")
        )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "purged_upto_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("archive_sha", sa.String(length=64), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    op.create_table(
        "audit_purge_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upto_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_purge_permit")),
    )
    if op.get_context().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.drop_table("audit_purge_permit")
    op.drop_table("audit_anchor")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("priority")
        batch.drop_column("client")
