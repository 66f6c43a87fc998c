"""D10: nonce uniqueness, and a static rule that key and nonce material come from os.urandom or
secrets only."""

from __future__ import annotations

import ast
import os
import threading
from collections import Counter
from pathlib import Path

import pytest

import fanguai.crypto
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import KeyStore
from fanguai.crypto.provider import SoftwareCryptoProvider

CRYPTO_SRC = Path(fanguai.crypto.__file__).parent


def _store(tmp_path: Path, provider: SoftwareCryptoProvider) -> KeyStore:
    store = KeyStore(
        f"sqlite:///{tmp_path / 'ks.sqlite3'}", master_key=os.urandom(16), provider=provider
    )
    store.initialise()
    return store


def _repeated_pairs(tokens: list[str]) -> list[tuple[str, bytes]]:
    pairs = Counter(FieldCrypto.nonce_of(t) for t in tokens)
    return [pair for pair, count in pairs.items() if count > 1]


def test_d10_100000_encryptions_across_4_threads_repeat_no_key_and_nonce_pair(
    tmp_path: Path,
) -> None:
    provider = SoftwareCryptoProvider()
    store = _store(tmp_path, provider)
    fields = FieldCrypto(store, provider)
    per_thread, threads = 25_000, 4
    results: list[list[str]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            out = results[n]
            for i in range(per_thread):
                # Nine in ten under one shared DEK, the rest spread over 40 subjects.
                subject = "shared-subject" if i % 10 else f"subject-{(i // 10) % 40}"
                out.append(
                    fields.encrypt(
                        "SENTINEL-ID-320502199001011234",
                        subject_id=subject,
                        table="person",
                        column="id_card",
                        row_id=str(i),
                    )
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    store.close()
    assert errors == []
    tokens = [t for chunk in results for t in chunk]
    assert len(tokens) == per_thread * threads
    pairs = [FieldCrypto.nonce_of(t) for t in tokens]
    assert all(len(nonce) == 12 for _, nonce in pairs)
    key_ids = Counter(key_id for key_id, _ in pairs)
    print(
        f"D10: {len(tokens)} tokens, {len(key_ids)} data keys, "
        f"{key_ids.most_common(1)[0][1]} under the busiest one"
    )
    assert key_ids.most_common(1)[0][1] >= 90_000  # really many under the same DEK
    assert _repeated_pairs(tokens) == []


def test_d10_the_uniqueness_check_catches_a_fixed_nonce(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The meta-test M1(e): with a broken nonce source, the check above must fail.
    provider = SoftwareCryptoProvider()
    store = _store(tmp_path, provider)
    fields = FieldCrypto(store, provider)
    fields.encrypt("warm-up", subject_id="s", table="t", column="c", row_id="0")
    real = provider.random_bytes
    monkeypatch.setattr(provider, "random_bytes", lambda n: b"\x00" * n if n == 12 else real(n))
    tokens = [
        fields.encrypt("v", subject_id="s", table="t", column="c", row_id=str(i)) for i in range(10)
    ]
    store.close()
    assert len(_repeated_pairs(tokens)) == 1


def _random_module_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "random"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "random":
            found.append(f"from {node.module} import …")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "random"
        ):
            found.append(f"random.{node.attr} (line {node.lineno})")
    return found


def test_d10_no_crypto_module_uses_the_random_module() -> None:
    files = sorted(CRYPTO_SRC.glob("**/*.py"))
    assert {f.name for f in files} >= {"provider.py", "keystore.py", "fields.py"}
    offenders = {
        str(f.relative_to(CRYPTO_SRC)): uses
        for f in files
        if (uses := _random_module_uses(f.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_d10_the_static_rule_would_catch_the_random_module() -> None:
    assert _random_module_uses("import random\nnonce = random.randbytes(12)\n") == [
        "import random",
        "random.randbytes (line 2)",
    ]
    assert _random_module_uses("from random import getrandbits\n")


def test_d10_randomness_in_the_provider_comes_from_urandom_and_secrets() -> None:
    source = (CRYPTO_SRC / "provider.py").read_text(encoding="utf-8")
    assert "os.urandom(" in source and "secrets.randbelow(" in source
    # Every nonce, key and key id elsewhere goes through provider.random_bytes.
    for name in ("keystore.py", "fields.py"):
        text = (CRYPTO_SRC / name).read_text(encoding="utf-8")
        assert "os.urandom" not in text and "randbelow" not in text, name
