"""D4: KEK rotation under load — 10,000 data keys, 20 concurrent clients reading and writing
while every data key is rewrapped, in the order add → primary → rewrap → decrypt-only →
check → destroy."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import DataKeyRow, KeyStore, KeyStoreError
from fanguai.crypto.provider import SoftwareCryptoProvider

RECORDS = 10_000
CLIENTS = 20


def _value(subject: str, row_id: str) -> str:
    return f"SENTINEL-{subject}-{row_id}-320502199001011234"


def test_d4_kek_rotation_under_20_concurrent_clients_loses_nothing(tmp_path: Path) -> None:
    provider = SoftwareCryptoProvider()
    store = KeyStore(
        f"sqlite:///{tmp_path / 'ks.sqlite3'}",
        master_key=os.urandom(16),
        provider=provider,
        cache_size=1024,
    )
    store.initialise()
    fields = FieldCrypto(store, provider)
    seed = random.SystemRandom().randrange(2**32)

    started = time.perf_counter()
    records: list[tuple[str, str, str]] = []  # (subject, row_id, token); appended by clients too
    for i in range(RECORDS):
        subject, row_id = f"subject-{i:05d}", str(i)
        records.append(
            (
                subject,
                row_id,
                fields.encrypt(
                    _value(subject, row_id),
                    subject_id=subject,
                    table="case",
                    column="narrative",
                    row_id=row_id,
                ),
            )
        )
    seeded = time.perf_counter()
    assert store.versions_in_use() == {1: RECORDS}

    failures: list[str] = []
    ops = {"read": 0, "write": 0, "new_subject": 0}
    ops_lock = threading.Lock()
    phase = {"name": "before"}  # before → switched → rewrapping → done
    during_rewrap = [0]
    after_switch_subjects: list[str] = []
    stop = threading.Event()
    warmed = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> None:
        rng = random.Random(seed + n)
        first = True
        while not stop.is_set():
            current = phase["name"]
            kind = rng.choices(("read", "write", "new_subject"), (6, 3, 1))[0]
            try:
                if kind == "read":
                    subject, row_id, token = records[rng.randrange(len(records))]
                    got = fields.decrypt(
                        token, subject_id=subject, table="case", column="narrative", row_id=row_id
                    )
                    if got != _value(subject, row_id):
                        failures.append(f"wrong plaintext for {subject}/{row_id}")
                else:
                    if kind == "write":
                        subject = f"subject-{rng.randrange(RECORDS):05d}"
                    else:
                        subject = f"client-{n}-{rng.getrandbits(48):012x}"
                    row_id = f"c{n}-{rng.getrandbits(48):012x}"
                    token = fields.encrypt(
                        _value(subject, row_id),
                        subject_id=subject,
                        table="case",
                        column="narrative",
                        row_id=row_id,
                    )
                    if fields.decrypt(
                        token, subject_id=subject, table="case", column="narrative", row_id=row_id
                    ) != _value(subject, row_id):
                        failures.append(f"round trip failed for {subject}/{row_id}")
                    records.append((subject, row_id, token))
                    if kind == "new_subject" and current != "before":
                        after_switch_subjects.append(subject)
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                failures.append(f"{kind} in phase {current}: {exc!r}")
            with ops_lock:
                ops[kind] += 1
                if phase["name"] == "rewrapping":
                    during_rewrap[0] += 1
            if first:
                first = False
                warmed.wait(60)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    warmed.wait(60)  # every client is running before the rotation starts

    v1 = store.primary_version()
    v2 = store.add_kek()
    store.make_primary(v2)
    phase["name"] = "switched"
    with pytest.raises(KeyStoreError):  # not destroyable before the rewrap
        store.destroy_kek(v1)
    phase["name"] = "rewrapping"
    rewrapped = store.rewrap_all(batch_size=250)
    phase["name"] = "done"
    store.set_decrypt_only(v1)
    time.sleep(0.2)  # let the clients keep working on the retired KEK's side of the switch
    stop.set()
    for t in threads:
        t.join()
    rotated = time.perf_counter()

    in_use = store.versions_in_use()
    with store.engine.connect() as conn:
        versions = dict(conn.execute(select(DataKeyRow.subject_id, DataKeyRow.kek_version)).all())
    store.destroy_kek(v1)
    for subject, row_id, token in records:
        assert fields.decrypt(
            token, subject_id=subject, table="case", column="narrative", row_id=row_id
        ) == _value(subject, row_id)
    finished = time.perf_counter()
    store.close()

    print(
        f"\nD4 (seed {seed}): {RECORDS} data keys seeded in {seeded - started:.1f}s; "
        f"{rewrapped} rewrapped; client ops {ops}, {during_rewrap[0]} during the rewrap; "
        f"{len(after_switch_subjects)} subjects created after the switch; "
        f"{len(records)} records re-read; rotation {rotated - seeded:.1f}s, "
        f"total {finished - started:.1f}s"
    )
    assert failures == [], f"seed={seed}: {failures[:5]}"
    assert v1 not in in_use and set(in_use) == {v2}, in_use
    assert rewrapped >= RECORDS
    assert after_switch_subjects and all(versions[s] == v2 for s in after_switch_subjects)
    assert during_rewrap[0] > 0, "no client operation overlapped the rewrap"
