"""Worker process for the kill -9 dispatch test: plans and sends alert stages in a loop.

Run as ``python dispatch_worker.py DB_URL KEYSTORE_URL MASTER_KEY_HEX``; prints ``READY``, then
``PASS <planned> <sent>`` after every pass of the alerts dispatch.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("FANGUAI_ARGON2_PROFILE", "fast")

from fanguai.alerts import dispatch  # noqa: E402
from fanguai.crypto.fields import FieldCrypto  # noqa: E402
from fanguai.crypto.keystore import KeyStore  # noqa: E402
from fanguai.crypto.provider import get_provider  # noqa: E402
from fanguai.db import Database, utcnow  # noqa: E402
from fanguai.security.crypto_runtime import use_field_crypto  # noqa: E402


def main() -> None:
    url, keystore_url, master = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    provider = get_provider()
    use_field_crypto(
        FieldCrypto(KeyStore(keystore_url, master_key=master, provider=provider), provider)
    )
    db = Database.from_url(url)
    print("READY", flush=True)
    while True:
        now = utcnow()
        planned = dispatch.plan_pending(db, now)
        sent = dispatch.send_due(db, now)
        print(f"PASS {planned} {sent}", flush=True)


if __name__ == "__main__":
    main()
