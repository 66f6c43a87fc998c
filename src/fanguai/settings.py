"""Typed settings, read from the environment (prefix ``FANGUAI_``) and from secret files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that ship in the repository: accepted only in demo mode.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "demo-secret-key-not-for-production"})


class SettingsError(ValueError):
    """Settings that must not be used (for example a placeholder secret outside demo mode)."""


class Settings(BaseSettings):
    """All configuration of one fanguai installation."""

    model_config = SettingsConfigDict(
        env_prefix="FANGUAI_",
        env_file=None,
        secrets_dir=None,
        extra="ignore",
    )

    demo: bool = Field(False, description="Demo mode: synthetic data and named personas.")
    data_dir: Path = Field(Path("var"), description="Folder for the SQLite file, exports, keys.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file under data_dir."
    )
    secret_key: SecretStr = Field(
        SecretStr("demo-secret-key-not-for-production"),
        description="Key for signing session cookies and CSRF tokens.",
    )
    secret_key_file: Path | None = Field(None, description="Read secret_key from this file.")
    session_idle_minutes: int = Field(15, ge=1, le=30)
    session_absolute_hours: int = Field(8, ge=1, le=24)
    cookie_secure: bool | None = Field(
        None, description="Send cookies over HTTPS only; default: on, except in demo mode."
    )
    sqlite_busy_timeout_ms: int = Field(10_000, ge=0)
    max_request_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"

    # Security profile (see docs/security.md).
    password_profile: str = Field("cn-mlps3", pattern="^(cn-mlps3|nist)$")
    password_rotation_days: int = Field(90, ge=0, description="0: no rotation (nist profile)")
    dormant_after_days: int = Field(90, ge=1, description="Disable accounts unused this long.")
    mfa_required: bool = Field(True, description="TOTP second factor for every staff role.")
    # Key store: key encryption keys and per-subject data keys, apart from the main database,
    # so that a database backup without the key store is unreadable.
    keystore_url: str = Field(
        "", description="SQLAlchemy URL; empty: <data_dir>/keys/keystore.sqlite3"
    )
    master_key_file: Path | None = Field(
        None, description="File holding the master key that protects KEKs in the software provider."
    )
    audit_retention_months: int = Field(
        12, ge=6, description="Online audit retention (>= 6 months)."
    )
    # Retention schedule (docs/retention.md): calendar months after the clock of each data class
    # starts (a lead's or a case's closing, ...) before its personal data is erased.
    retention_leads_months: int = Field(
        24, ge=1, description="Leads closed without becoming or joining a case."
    )
    retention_cases_months: int = Field(60, ge=12, description="Closed missing-child cases.")
    retention_victims_months: int = Field(60, ge=12, description="Closed victim files.")
    retention_found_months: int = Field(
        60, ge=12, description="Closed or reunited found-person records."
    )
    retention_missing_records_months: int = Field(
        60, ge=12, description="Long-missing records whose child was found or that were closed."
    )
    retention_evaluations_months: int = Field(
        120, ge=12, description="Closed evaluations (reviewers' names and comments)."
    )
    # R-DNA-5 (docs/dna.md): a user's DNA reads (profiles, matches, reveals) above these in one
    # clock hour / Beijing day raise an alert to the lab chief. An analyst's normal day reviews
    # a few dozen matches (each reads 2-3 profiles); a bulk harvest goes far beyond.
    dna_alert_reads_per_hour: int = Field(
        60, ge=1, description="DNA reads by one user in one clock hour that raise an alert."
    )
    dna_alert_reads_per_day: int = Field(
        200, ge=1, description="DNA reads by one user in one Beijing day that raise an alert."
    )

    @model_validator(mode="after")
    def _read_secret_files(self) -> Settings:
        if self.secret_key_file is not None:
            self.secret_key = SecretStr(self.secret_key_file.read_text(encoding="utf-8").strip())
        return self

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure`` (a demo on http://127.0.0.1 runs without TLS)."""
        return (not self.demo) if self.cookie_secure is None else self.cookie_secure

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/fanguai.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fanguai.sqlite3').as_posix()}"

    @property
    def effective_keystore_url(self) -> str:
        """The key store URL, defaulting to ``<data_dir>/keys/keystore.sqlite3``."""
        if self.keystore_url:
            return self.keystore_url
        return f"sqlite:///{(self.data_dir / 'keys' / 'keystore.sqlite3').as_posix()}"

    def check_for_production(self) -> None:
        """Refuse placeholder secrets outside demo mode."""
        if self.demo:
            return
        if self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise SettingsError(
                "FANGUAI_SECRET_KEY (or FANGUAI_SECRET_KEY_FILE) is unset or a placeholder; "
                "set a random value of at least 32 characters, or run with --demo"
            )
        if len(self.secret_key.get_secret_value()) < 32:
            raise SettingsError("FANGUAI_SECRET_KEY must be at least 32 characters long")
        if not self.mfa_required:
            raise SettingsError(
                "FANGUAI_MFA_REQUIRED=0 is allowed in demo mode only: every "
                "staff role needs a second factor"
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
