"""Cryptography of the platform: providers (SM2/SM3/SM4), the key store and field encryption.

See ``docs/crypto.md``. Typical use::

    from fanguai.crypto import FieldCrypto, KeyStore, get_provider

    store = KeyStore.from_settings(settings)
    fields = FieldCrypto(store, store.provider)
"""

from fanguai.crypto.fields import FieldCrypto, mask, normalise_for_index
from fanguai.crypto.keystore import KeyStore, KeyStoreError, SubjectShredded
from fanguai.crypto.provider import (
    CryptoIntegrityError,
    CryptoProvider,
    SoftwareCryptoProvider,
    get_provider,
    providers,
    register_provider,
)

__all__ = [
    "CryptoIntegrityError",
    "CryptoProvider",
    "FieldCrypto",
    "KeyStore",
    "KeyStoreError",
    "SoftwareCryptoProvider",
    "SubjectShredded",
    "get_provider",
    "mask",
    "normalise_for_index",
    "providers",
    "register_provider",
]
