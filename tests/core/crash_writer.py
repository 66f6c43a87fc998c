"""Writer process for the kill -9 test: creates users in a loop, acknowledging each commit.

Run as ``python crash_writer.py DB_URL PREFIX``; prints ``READY`` once set up, then one
``ACK <username>`` line after each commit returns.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("FANGUAI_ARGON2_PROFILE", "fast")

from fanguai.core.actor import cli_actor  # noqa: E402
from fanguai.db import Database  # noqa: E402
from fanguai.org.actions import create_user  # noqa: E402
from fanguai.org.schemas import UserCreate  # noqa: E402


def main() -> None:
    url, prefix = sys.argv[1], sys.argv[2]
    db = Database.from_url(url)
    actor = cli_actor("crash-writer")
    print("READY", flush=True)
    i = 0
    with db.session() as session:
        while True:
            i += 1
            username = f"{prefix}.{i}"
            # One transaction: the user, two role rows, an audit row and the audit head.
            create_user(
                session,
                actor=actor,
                data=UserCreate(
                    username=username,
                    display_name="写入测试",
                    unit_code="320508-GA",
                    password="Crash-Test-Passw0rd",
                    roles=["police_officer", "viewer"],
                ),
            )
            print(f"ACK {username}", flush=True)


if __name__ == "__main__":
    main()
