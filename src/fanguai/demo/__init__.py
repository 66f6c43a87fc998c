"""Demo data: a living synthetic province, built by loaders that each module registers.

A module adds its loader with ``@register("name", order=…)``; ``load_all`` runs them in order.
Loaders are idempotent: running the demo twice adds nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from fanguai.core.actor import Actor


@dataclass
class DemoReport:
    """What the loaders did, and the credentials of the personas they created."""

    added: dict[str, int] = field(default_factory=dict)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)  # user, password, who


Loader = Callable[[Session, Actor, DemoReport], None]
_LOADERS: list[tuple[int, str, Loader]] = []


def register(name: str, *, order: int = 100) -> Callable[[Loader], Loader]:
    """Register a demo loader under ``name``; lower ``order`` runs first."""

    def decorator(func: Loader) -> Loader:
        if any(n == name for _, n, _ in _LOADERS):
            raise ValueError(f"demo loader {name!r} registered twice")
        _LOADERS.append((order, name, func))
        return func

    return decorator


def loaders() -> list[tuple[int, str, Loader]]:
    """The registered loaders in the order they run."""
    _import_builtin_loaders()
    return sorted(_LOADERS, key=lambda item: (item[0], item[1]))


def load_all(session: Session, *, actor: Actor) -> DemoReport:
    """Run every registered loader."""
    report = DemoReport()
    for _, _, func in loaders():
        func(session, actor, report)
    return report


def _import_builtin_loaders() -> None:
    # Importing a module's demo module registers its loader.
    from fanguai.accountability import demo as _accountability_demo  # noqa: F401
    from fanguai.alerts import demo as _alerts_demo  # noqa: F401
    from fanguai.dna import demo as _dna_demo  # noqa: F401
    from fanguai.identify import demo as _identify_demo  # noqa: F401
    from fanguai.leads import demo as _leads_demo  # noqa: F401
    from fanguai.org import demo as _org_demo  # noqa: F401
    from fanguai.people import demo as _people_demo  # noqa: F401
    from fanguai.victims import demo as _victims_demo  # noqa: F401
