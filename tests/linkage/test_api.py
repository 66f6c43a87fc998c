"""The public names of fanguai.linkage, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fanguai.linkage as linkage
from fanguai.linkage import LinkageError, estimate_model

from .conftest import TODAY, child


def test_every_public_name_resolves():
    for name in linkage.__all__:
        assert getattr(linkage, name) is not None, name
    assert linkage.__version__ == linkage.LINKAGE_VERSION
    with pytest.raises(AttributeError):
        linkage.no_such_name  # noqa: B018


def test_the_cli_module_does_not_load_the_engine():
    code = (
        "import sys, fanguai.linkage.cli; "
        "print(any(m.split('.')[0] in ('splink', 'duckdb', 'pypinyin') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_estimation_needs_enough_records():
    with pytest.raises(LinkageError, match="too few records"):
        estimate_model([child("M1", "张三")], [child("F1", "张三")], today=TODAY)
