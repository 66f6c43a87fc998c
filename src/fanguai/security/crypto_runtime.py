"""The process's field crypto (key store + provider), built once from the settings.

Services take a ``FieldCrypto`` argument; the web app and the commands get theirs here. Tests
install their own with ``use_field_crypto``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fanguai.crypto.fields import FieldCrypto
    from fanguai.settings import Settings

_lock = threading.Lock()
_current: FieldCrypto | None = None


def field_crypto(settings: Settings | None = None) -> FieldCrypto:
    """The field crypto of this process (the key store is initialised on first use)."""
    global _current
    with _lock:
        if _current is None:
            from fanguai.crypto.fields import FieldCrypto
            from fanguai.crypto.keystore import KeyStore
            from fanguai.crypto.provider import get_provider
            from fanguai.settings import get_settings

            settings = settings or get_settings()
            provider = get_provider()
            keystore = KeyStore.from_settings(settings)
            keystore.initialise()
            _current = FieldCrypto(keystore, provider)
        return _current


def use_field_crypto(crypto: FieldCrypto | None) -> None:
    """Replace the process's field crypto (tests; ``None`` rebuilds from settings next time)."""
    global _current
    with _lock:
        _current = crypto
