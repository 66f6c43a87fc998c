"""Print the Alembic operations that would bring a freshly migrated database to the models.

Usage: .venv/bin/python scripts/migration_draft.py [TABLE_PREFIX ...]
Builds a throw-away SQLite database at the newest revision, compares it with the models and
prints the upgrade operations (only for tables whose names start with a given prefix), as a
draft to paste into the module's migration and review by hand.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import ops

from fanguai import migrate
from fanguai.db import make_engine
from fanguai.models import Base


def main(prefixes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'draft.sqlite3'}")
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"render_as_batch": True, "compare_type": True}
            )
            script = produce_migrations(context, Base.metadata)
        if prefixes:
            script.upgrade_ops.ops = [
                op for op in script.upgrade_ops.ops if _table(op).startswith(tuple(prefixes))
            ]
        print(render_python_code(script.upgrade_ops))
        engine.dispose()


def _table(op: ops.MigrateOperation) -> str:
    return getattr(op, "table_name", "") or ""


if __name__ == "__main__":
    main(sys.argv[1:])
