"""Writing routes of the tasks module, for the B5 sweep in tests/web/test_routes.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.db import utcnow
from fanguai.org.models import Unit
from fanguai.tasks import service


def _complete(c, login):  # type: ignore[no-untyped-def]
    db = c.app.state.db
    with db.session() as session, action(session, cli_actor("test"), "test.task"):
        unit = session.execute(select(Unit).where(Unit.code == "320508-GA")).scalar_one()
        task = service.create_task(
            session,
            kind="test.example",
            title="示例",
            subject_type="test",
            subject_id="example",
            owner_unit=unit,
            due_at=utcnow() + timedelta(days=1),
        )
        task_id = task.public_id
    return login("gusu.police").post(f"/tasks/{task_id}/complete", data={"note": "已办"})


EXAMPLES = {("POST", "/tasks/{task_id}/complete"): _complete}
