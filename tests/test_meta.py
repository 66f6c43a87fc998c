"""M1: each injected fault makes at least one test fail; M2 lives in tests/access."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import FAULTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_injected_fault_makes_the_suite_fail(fault: str) -> None:
    target = FAULTS[fault][1]
    # The child run gets a SQLite database of its own: pointing it at the PostgreSQL database of
    # this run would reset that database under the parent's feet.
    env = {k: v for k, v in os.environ.items() if k != "FANGUAI_TEST_DATABASE_URL"}
    env["FANGUAI_INJECT_FAULT"] = fault
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = "\n".join(result.stdout.splitlines()[-5:])
    assert result.returncode == 1, f"fault {fault!r} went unnoticed by {target}:\n{tail}"
    assert " failed" in result.stdout, tail
