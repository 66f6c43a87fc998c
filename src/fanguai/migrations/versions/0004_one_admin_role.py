"""No account may hold two of the three admin roles (三权分立), enforced by the database too.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ADMIN = "('sys_admin','sec_admin','audit_admin')"

_SQLITE = [
    f"""CREATE TRIGGER user_role_one_admin_insert BEFORE INSERT ON user_role
        WHEN NEW.role_code IN {ADMIN} AND EXISTS (
          SELECT 1 FROM user_role WHERE user_id = NEW.user_id AND role_code IN {ADMIN}
            AND role_code <> NEW.role_code)
        BEGIN SELECT RAISE(ABORT, 'an account may hold at most one admin role'); END""",
    f"""CREATE TRIGGER user_role_one_admin_update BEFORE UPDATE ON user_role
        WHEN NEW.role_code IN {ADMIN} AND EXISTS (
          SELECT 1 FROM user_role WHERE user_id = NEW.user_id AND role_code IN {ADMIN}
            AND role_code <> NEW.role_code)
        BEGIN SELECT RAISE(ABORT, 'an account may hold at most one admin role'); END""",
]

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION user_role_one_admin() RETURNS trigger AS $$
BEGIN
  IF NEW.role_code IN {ADMIN} AND EXISTS (
      SELECT 1 FROM user_role WHERE user_id = NEW.user_id AND role_code IN {ADMIN}
        AND role_code <> NEW.role_code) THEN
    RAISE EXCEPTION 'an account may hold at most one admin role';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
    else:
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER user_role_one_admin BEFORE INSERT OR UPDATE ON user_role "
            "FOR EACH ROW EXECUTE FUNCTION user_role_one_admin()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS user_role_one_admin_insert")
        op.execute("DROP TRIGGER IF EXISTS user_role_one_admin_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS user_role_one_admin ON user_role")
        op.execute("DROP FUNCTION IF EXISTS user_role_one_admin()")
