"""kill -9 mid-dispatch, restart: a local sink counts every recipient once per stage.

A worker process plans and sends an alert's stages (the first ring, a widening, the "found"
withdrawal) to a loopback webhook sink and is killed at random moments, again and again. The
sink keeps the delivery keys it has seen (the receiver contract of docs/alerts.md). After the
runs: every recipient of each stage was received, none twice after de-duplication, and a raw
resend only ever repeats a batch that was in flight when a worker died.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fanguai import migrate
from fanguai.alerts import actions, alerting, subscribers
from fanguai.alerts.models import Alert, AlertBatch, AlertDelivery, AlertStage, MissingCase
from fanguai.alerts.sink import LoopbackSink
from fanguai.core.actions import action
from fanguai.core.actor import cli_actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import KeyStore
from fanguai.crypto.provider import get_provider
from fanguai.db import Database, utcnow
from fanguai.demo import DemoReport
from fanguai.org.demo import load_personas
from fanguai.reference import ensure_reference_data
from fanguai.security.crypto_runtime import use_field_crypto
from tests.alerts.conftest import GUSU, SECRET, as_actor

WORKER = Path(__file__).with_name("dispatch_worker.py")
SUBSCRIBERS = 800
MAX_CYCLES = 60


@pytest.fixture
def world(tmp_path, field_crypto):  # type: ignore[no-untyped-def]
    """A database file with personas, a webhook partner and subscribers around Suzhou."""
    provider = get_provider()
    master = provider.random_bytes(16)
    keystore_url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    keystore = KeyStore(keystore_url, master_key=master, provider=provider)
    keystore.initialise()
    use_field_crypto(FieldCrypto(keystore, provider))
    subscribers.forget_indexes()
    url = f"sqlite:///{tmp_path / 'dispatch.sqlite3'}"
    db = Database.from_url(url)
    migrate.upgrade(db.engine)
    try:
        yield db, url, keystore_url, master
    finally:
        db.engine.dispose()
        keystore.close()
        subscribers.forget_indexes()
        use_field_crypto(field_crypto)


def _setup(db: Database, sink_url: str, rng: random.Random) -> str:
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        load_personas(session, cli_actor("tests"), DemoReport())
        chief = as_actor(session, "gusu.chief")
        endpoint = actions.add_endpoint(
            session,
            actor=chief,
            data={
                "name": "合作平台",
                "kind": "webhook",
                "url": f"{sink_url}/webhook",
                "secret": SECRET,
                "batch_size": 20,
            },
        )
        with action(session, cli_actor("tests"), "test.subscribers"):
            for i in range(SUBSCRIBERS):
                # Up to about 280 km around the point: inside the first and the second ring.
                lat = GUSU[0] + rng.uniform(-1.6, 1.6)
                lng = GUSU[1] + rng.uniform(-2.6, 0.6)
                subscribers.add_subscriber(
                    session,
                    {
                        "kind": "app_user",
                        "channel": "webhook",
                        "endpoint": endpoint.public_id,
                        "external_ref": f"t{i}",
                        "lat": lat,
                        "lng": lng,
                    },
                )
        now = utcnow()
        case = actions.report_case(
            session,
            actor=as_actor(session, "gusu.police"),
            child={"name": "演练", "sex": "male", "age": 5, "description": "演练"},
            guardian=None,
            last_seen_place="演练地点",
            last_seen_lat=GUSU[0],
            last_seen_lng=GUSU[1],
            last_seen_at=now - timedelta(minutes=5),
            category="lost",
            now=now,
        )
        alert = actions.publish_alert(session, actor=chief, case_id=case.public_id, now=now)
        with action(session, cli_actor("tests"), "test.widen"):
            alert = session.get(Alert, alert.id)
            alerting.widen(session, alert=alert, now=now + timedelta(minutes=70))
        return case.public_id


def _cycle(url: str, keystore_url: str, master: bytes, rng: random.Random) -> None:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "FANGUAI_ALERTS_SENDING_LEASE_SECONDS": "0",
        "FANGUAI_ALERTS_PLAN_CHUNK": "100",
    }
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, keystore_url, master.hex()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == "READY", proc.stderr.read() if proc.stderr else first
    time.sleep(rng.uniform(0.2, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def _settled(db: Database) -> bool:
    with db.session() as session:
        planning = session.execute(
            select(func.count()).where(AlertStage.status == "planning")
        ).scalar_one()
        open_batches = session.execute(
            select(func.count()).where(AlertBatch.status.in_(("pending", "retry", "sending")))
        ).scalar_one()
        return planning == 0 and open_batches == 0


def _run_until_settled(db, url, keystore_url, master, rng) -> int:  # type: ignore[no-untyped-def]
    kills = 0
    while not _settled(db):
        assert kills < MAX_CYCLES, "the dispatch did not finish"
        _cycle(url, keystore_url, master, rng)
        kills += 1
    return kills


def test_kill_9_mid_dispatch_every_recipient_gets_each_stage_once(world) -> None:  # type: ignore[no-untyped-def]
    db, url, keystore_url, master = world
    seed = int(os.environ.get("FANGUAI_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    with LoopbackSink(SECRET, keep_bodies=False) as sink:
        case_id = _setup(db, sink.url, rng)
        kills = _run_until_settled(db, url, keystore_url, master, rng)
        with db.session() as session:
            actions.close_case(
                session,
                actor=as_actor(session, "gusu.chief"),
                case_id=case_id,
                outcome="found_alive",
                reason="演练结束",
            )
        kills += _run_until_settled(db, url, keystore_url, master, rng)
        state = sink.state
    where = f"seed {seed}, {kills} kills"
    assert kills >= 2, f"{where}: the worker was hardly interrupted"
    with db.session() as session:
        case = session.execute(
            select(MissingCase).where(MissingCase.public_id == case_id)
        ).scalar_one()
        alert = session.execute(select(Alert).where(Alert.case_id == case.id)).scalar_one()
        expected: dict[int, set[str]] = {}
        for seq, sub in session.execute(
            select(AlertStage.seq, subscribers.AlertSubscriber.public_id)
            .join(AlertDelivery, AlertDelivery.stage_id == AlertStage.id)
            .join(
                subscribers.AlertSubscriber,
                subscribers.AlertSubscriber.id == AlertDelivery.subscriber_id,
            )
            .where(AlertStage.alert_id == alert.id)
        ).all():
            expected.setdefault(seq, set()).add(sub)
        statuses = set(session.execute(select(AlertBatch.status)).scalars())
    assert statuses == {"sent"}, where
    assert sorted(expected) == [1, 2, 3], where
    assert expected[3] == expected[1] | expected[2], f"{where}: the withdrawal missed someone"
    assert not expected[1] & expected[2], f"{where}: the widening repeated the first ring"
    got: dict[int, set[str]] = {}
    for key in state.seen:
        _alert, seq, sub = key.split(":")
        got.setdefault(int(seq), set()).add(sub)
    assert got == expected, f"{where}: the sink's count per stage differs"
    assert len(state.seen) == sum(len(v) for v in expected.values())
    # Raw resends: only whole batches that were in flight when a worker died.
    resent_batches = [b for b, n in state.batches.items() if n > 1]
    assert len(resent_batches) <= kills, where
    assert Counter(state.raw.values()).keys() <= {1, 2, 3}, where
    assert state.bad_signatures == 0
