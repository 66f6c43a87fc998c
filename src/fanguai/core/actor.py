"""Who is acting: a staff user through the web, an operator on the command line, the system."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The identity an action runs under, with what the policy needs to decide scope."""

    kind: str  # "user" | "cli" | "system" | "anonymous"
    name: str
    user_id: int | None = None
    user_public_id: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    department: str | None = None
    division_code: str | None = None
    level: str | None = None  # province | city | county: the unit's jurisdiction level
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None
    must_change_password: bool = False

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    def can(self, permission: str) -> bool:
        """Whether the actor's roles grant ``permission`` (scope is checked separately)."""
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise ``Forbidden`` unless the actor's roles grant ``permission``."""
        if permission not in self.permissions:
            from fanguai.errors import Forbidden

            raise Forbidden(f"permission {permission!r} required")


def system_actor(name: str = "system") -> Actor:
    """An actor for jobs the platform runs by itself."""
    return Actor(kind="system", name=name)


def cli_actor(command: str) -> Actor:
    """An actor for an operator running a ``fanguai`` command on the server."""
    import getpass

    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers; the command still runs
        who = "unknown"
    return Actor(kind="cli", name=f"cli:{who}:{command}")


ANONYMOUS = Actor(kind="anonymous", name="anonymous")
