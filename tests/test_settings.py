"""Settings refuse placeholder secrets outside demo mode and never print secrets."""

from __future__ import annotations

import pytest

from fanguai.settings import Settings, SettingsError


def test_it_refuses_the_default_secret_outside_demo_mode() -> None:
    with pytest.raises(SettingsError, match="FANGUAI_SECRET_KEY"):
        Settings(demo=False).check_for_production()


def test_it_refuses_a_short_secret() -> None:
    with pytest.raises(SettingsError, match="32 characters"):
        Settings(demo=False, secret_key="short-but-not-default").check_for_production()


def test_demo_mode_accepts_the_default_secret() -> None:
    Settings(demo=True).check_for_production()


def test_the_secret_is_masked_in_repr() -> None:
    s = Settings(secret_key="a-very-secret-value-0123456789abcdef")
    assert "a-very-secret-value" not in repr(s)


def test_the_secret_can_come_from_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "key"
    f.write_text("file-secret-0123456789abcdefghijklmnop\n")
    s = Settings(secret_key_file=f)
    assert s.secret_key.get_secret_value() == "file-secret-0123456789abcdefghijklmnop"
    s.check_for_production()


def test_the_default_database_is_a_sqlite_file_under_the_data_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings(data_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/fanguai.sqlite3"


def test_demo_mode_serves_cookies_without_secure_unless_asked() -> None:
    assert Settings(demo=True).secure_cookies is False
    assert Settings(demo=False).secure_cookies is True
    assert Settings(demo=True, cookie_secure=True).secure_cookies is True
