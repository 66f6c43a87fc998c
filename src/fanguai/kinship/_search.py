"""Database-scale search: ``SearchIndex`` (duo, couple, parents and pairwise relative searches)
and ``SearchHit``.

A search builds the query's exact per-locus tables (``_plans``), runs the fused kernel over the
stored codes (``_scan``/``_kernel``; locally on all cores, or over shards with ``DaskExecutor``),
then rescores the few candidates exactly: per-locus values from the exact tables, combined in
locus-name order like ``compute_lr``. Every hit's LR is therefore the one ``duo_lr`` /
``parents_lr`` / ``kinship_lr`` gives for that pair (bit for bit), restricted to the index's
loci.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from fanguai.kinship import _plans as plans
from fanguai.kinship._engine import combine
from fanguai.kinship._expected import tail_model
from fanguai.kinship._frequencies import FrequencyTable, as_table
from fanguai.kinship._index import MISSING, LocusCoder, ProfileEncoder, Rows
from fanguai.kinship._loci import normalise_locus
from fanguai.kinship._mutation import exclusion_power
from fanguai.kinship._scan import NO_EXCLUSION, SCORE_MARGIN, Candidates, Luts, scan
from fanguai.kinship._settings import ENGINE_VERSION, KinshipSettings
from fanguai.kinship.errors import (
    InsufficientLoci,
    InvalidCase,
    InvalidSettings,
    MissingFrequencies,
)

MAX_LOCI = 63
RESCORE_EXTRA = 4  # candidates rescored beyond top_k (and all tied within RANK_TOLERANCE)
RANK_TOLERANCE = 1e-9
QUERY_ROLES = ("child", "parent")
PAIRWISE_ROLES = ("a", "b")

Genotype = tuple[str, str]


@dataclass(frozen=True)
class SearchHit:
    """One candidate: its LR (as ``duo_lr`` / ``parents_lr`` computes it for the pair), the
    number of inconsistent and compared loci, and how many unrelated profiles that score is
    expected to draw from a database of this size over these loci."""

    key: str
    lr: float
    log10_lr: float
    inconsistent_loci: int
    loci_compared: int
    expected_false_hits: float
    engine_version: str = ENGINE_VERSION
    relationship: str = "parent-child"
    loci: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lr": self.lr,
            "log10_lr": self.log10_lr,
            "inconsistent_loci": self.inconsistent_loci,
            "loci_compared": self.loci_compared,
            "expected_false_hits": self.expected_false_hits,
            "engine_version": self.engine_version,
            "relationship": self.relationship,
            "loci": list(self.loci),
        }


@dataclass(frozen=True)
class Limits:
    top_k: int
    max_inconsistent: int
    min_lr: float

    @classmethod
    def of(cls, top_k: object, max_inconsistent: object, min_lr: object) -> Limits:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise InvalidSettings(f"top_k must be a whole number of at least 1, got {top_k!r}")
        if (
            isinstance(max_inconsistent, bool)
            or not isinstance(max_inconsistent, int)
            or max_inconsistent < 0
        ):
            raise InvalidSettings(
                f"max_inconsistent must be a whole number of at least 0, got {max_inconsistent!r}"
            )
        if (
            isinstance(min_lr, bool)
            or not isinstance(min_lr, int | float)
            or not math.isfinite(min_lr)
            or min_lr <= 0
        ):
            raise InvalidSettings(f"min_lr must be a finite number above 0, got {min_lr!r}")
        return cls(top_k, max_inconsistent, float(min_lr))


class Executor(Protocol):
    def scan(self, index: SearchIndex, tiles: np.ndarray, used: int, luts: Luts, max_inc: int,
             min_cmp: int, threshold: float) -> Candidates:  # fmt: skip
        """Candidates of the kernel over ``tiles`` holding ``used`` rows."""


class LocalExecutor:
    """The kernel on this machine's cores (``parallel``: tiles spread over the thread pool)."""

    def __init__(self, parallel: bool = True) -> None:
        self.parallel = parallel

    def scan(self, index, tiles, used, luts, max_inc, min_cmp, threshold):
        return scan(tiles, used, luts, max_inc, min_cmp, threshold, parallel=self.parallel)


LOCAL = LocalExecutor()


@dataclass
class _Scored:
    """Candidates of one query, columns in locus-name order."""

    keys: list[str]
    values: np.ndarray  # (candidates, loci) float64
    present: np.ndarray  # (candidates, loci) bool
    kinds: np.ndarray  # (candidates, loci) index into plans.KINDS
    inconsistent: np.ndarray  # (candidates,)
    loci: list[str] = field(default_factory=list)


class SearchIndex:
    """Profiles (and couples registered together) compressed for search; see ``docs/kinship.md``.

    Not safe for concurrent use without the built-in lock: every method takes it.
    """

    def __init__(
        self,
        table: FrequencyTable,
        settings: KinshipSettings | None = None,
        loci: Sequence[str] | None = None,
        min_loci: int = 12,
    ) -> None:
        self.table = as_table(table)
        self.settings = settings or KinshipSettings()
        if not isinstance(self.settings, KinshipSettings):
            raise InvalidSettings("settings must be a KinshipSettings")
        self.loci = self._check_loci(loci)
        if (
            isinstance(min_loci, bool)
            or not isinstance(min_loci, int)
            or not 1 <= min_loci <= len(self.loci)
        ):
            raise InvalidSettings(
                f"min_loci must be a whole number from 1 to the index's {len(self.loci)} loci, "
                f"got {min_loci!r}"
            )
        self.min_loci = min_loci
        # columns: most excluding loci first, so the kernel stops unrelated rows early
        power = {x: self._exclusion_power(x) for x in self.loci}
        columns = sorted(self.loci, key=lambda x: -power[x])
        self._coders = [
            LocusCoder(x, self.table.locus_frequencies(x), self.settings.floor) for x in columns
        ]
        self._encoder = ProfileEncoder(self._coders)
        self._canonical = sorted(range(len(columns)), key=lambda c: columns[c])
        self._profiles = Rows(2 * len(columns))
        self._couples = Rows(4 * len(columns))
        self._vectors = plans.Vectors(self.table, self.settings)
        self._tables = plans.TableCache()
        self._pair_vectors = plans.Vectors(self.table, self.pairwise_settings)
        self._lock = threading.RLock()
        self.version = 0

    @property
    def pairwise_settings(self) -> KinshipSettings:
        """The settings of pairwise relative searches: the index's, with θ = 0 under a mutation
        model (the engine's pairwise pedigree likelihoods have no θ; ``kinship_lr`` refuses
        θ > 0 with mutation)."""
        if self.settings.mutation_model != "none" and self.settings.theta > 0:
            return dataclasses.replace(self.settings, theta=0.0)
        return self.settings

    # --- construction -------------------------------------------------------------------

    def _check_loci(self, loci: Sequence[str] | None) -> tuple[str, ...]:
        if loci is None:
            names = list(self.table.loci)
        else:
            if isinstance(loci, str) or not isinstance(loci, Sequence):
                raise InvalidSettings("loci must be a list of locus names")
            names = [normalise_locus(x) for x in loci]
        if not names:
            raise InvalidSettings("a search index needs at least one locus")
        twice = sorted({x for x in names if names.count(x) > 1})
        if twice:
            raise InvalidSettings(f"loci: {', '.join(twice)} listed twice")
        if len(names) > MAX_LOCI:
            raise InvalidSettings(f"a search index holds at most {MAX_LOCI} loci, got {len(names)}")
        missing = [x for x in names if not self.table.has_locus(x)]
        if missing:
            raise MissingFrequencies(
                f"frequency table {self.table.name!r} has no frequencies for {', '.join(missing)}"
            )
        return tuple(names)

    def _exclusion_power(self, locus: str) -> float:
        p = np.array(list(self.table.locus_frequencies(locus).values()), dtype=float)
        p = np.maximum(p, self.settings.floor)
        return exclusion_power(p / p.sum())

    # --- profiles -----------------------------------------------------------------------

    def _genotypes(self, profile: object, role: str) -> dict[int, Genotype]:
        """Genotypes by column; ``InsufficientLoci`` below ``min_loci`` index loci."""
        found = self._encoder.genotypes(profile, role)
        if len(found) < self.min_loci:
            typed = ", ".join(sorted(found)) or "none"
            raise InsufficientLoci(
                f"{role}: {len(found)} of the index's {len(self.loci)} loci typed ({typed}); "
                f"a search needs at least {self.min_loci}"
            )
        return {self._encoder.column[x]: g for x, g in found.items()}

    def _row(self, genotypes: Mapping[int, Genotype]) -> list[int]:
        return self._encoder.row(genotypes)

    @staticmethod
    def _check_key(key: object) -> str:
        if not isinstance(key, str) or not key:
            raise InvalidCase(f"a profile key must be a non-empty string, got {key!r}")
        return key

    def add(self, key: str, profile: Mapping[str, object]) -> None:
        """Store ``profile`` under ``key`` (replacing what was stored under it)."""
        self.add_many([(key, profile)])

    def add_many(self, items: Iterable[tuple[str, Mapping[str, object]]]) -> None:
        """Store many profiles; all are validated before any is stored."""
        with self._lock:
            checked = []
            for key, profile in items:
                key = self._check_key(key)
                checked.append((key, self._genotypes(profile, f"profile {key!r}")))
            rows = np.array([self._row(g) for _, g in checked], dtype=np.uint8)
            if len(checked):
                self._profiles.put_many([key for key, _ in checked], rows)
            self.version += 1

    def add_couple(self, key: str, father_profile, mother_profile) -> None:
        """Store two parents registered together (searched by ``parents_search``)."""
        with self._lock:
            key = self._check_key(key)
            father = self._genotypes(father_profile, f"couple {key!r} father")
            mother = self._genotypes(mother_profile, f"couple {key!r} mother")
            row = np.array(self._row(father) + self._row(mother), dtype=np.uint8)
            self._couples.put(key, row)
            self.version += 1

    def remove(self, key: str) -> None:
        """Remove the profile and/or couple stored under ``key`` (``KeyError`` if none)."""
        with self._lock:
            removed = self._profiles.remove(key)
            removed = self._couples.remove(key) or removed
            if not removed:
                raise KeyError(key)
            self.version += 1

    def _load_pairs(self, keys: Sequence[str], pairs: np.ndarray) -> None:
        """Bulk load of already-encoded rows (stored allele bytes, table alleles only, in column
        order) with new keys: benchmarks and tests."""
        with self._lock:
            if len(set(keys)) != len(keys) or any(k in self._profiles.slots for k in keys):
                raise InvalidCase("bulk load needs new, distinct keys")
            self._profiles.extend(list(keys), pairs)
            self.version += 1

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, key: object) -> bool:
        return key in self._profiles.slots

    @property
    def couples(self) -> int:
        """Number of couples stored."""
        return len(self._couples)

    def has_couple(self, key: str) -> bool:
        return key in self._couples.slots

    @property
    def nbytes_per_profile(self) -> float:
        """Bytes of the scanned code array (capacity included) per stored profile; the keys
        and their slot map are held beside it in Python objects and not counted."""
        return self._profiles.nbytes() / max(1, len(self._profiles))

    # --- searches -----------------------------------------------------------------------

    def duo_search(
        self,
        profile,
        *,
        top_k: int = 20,
        max_inconsistent: int = 2,
        min_lr: float = 1.0,
        query_role: str = "child",
        executor: Executor | None = None,
    ) -> list[SearchHit]:
        """Best parent–child candidates for one profile, best first.

        ``query_role="child"``: the stored profiles are alleged parents (``duo_lr(profile,
        stored)``); ``"parent"``: they are children (``duo_lr(stored, profile)``).
        """
        return self._duo([profile], top_k, max_inconsistent, min_lr, query_role, executor,
                         batch=False)[0]  # fmt: skip

    def duo_search_batch(
        self,
        profiles: Sequence[Mapping[str, object]],
        *,
        top_k: int = 20,
        max_inconsistent: int = 2,
        min_lr: float = 1.0,
        query_role: str = "child",
        executor: Executor | None = None,
    ) -> list[list[SearchHit]]:
        """``duo_search`` for many queries in one pass over the index (same results)."""
        return self._duo(profiles, top_k, max_inconsistent, min_lr, query_role, executor,
                         batch=True)  # fmt: skip

    def couple_search(
        self,
        father_profile,
        mother_profile,
        *,
        top_k: int = 20,
        max_inconsistent: int = 2,
        min_lr: float = 1.0,
        executor: Executor | None = None,
    ) -> list[SearchHit]:
        """A couple against every stored profile as their child (``parents_lr(stored, father,
        mother)``); loci where only one parent is typed use that parent's duo index."""
        limits = Limits.of(top_k, max_inconsistent, min_lr)
        with self._lock:
            father = self._genotypes(father_profile, "father")
            mother = self._genotypes(mother_profile, "mother")
            plan = plans.couple_plan(self._vectors, self._coders, father, mother, self._tables)
            return self._scan_and_rescore([plan], limits, executor, "parents")[0]

    def _duo(self, profiles, top_k, max_inconsistent, min_lr, role, executor, batch):
        limits = Limits.of(top_k, max_inconsistent, min_lr)
        if role not in QUERY_ROLES:
            raise InvalidSettings(
                f"query_role must be one of {', '.join(QUERY_ROLES)}, got {role!r}"
            )
        if isinstance(profiles, Mapping) or not isinstance(profiles, Sequence):
            raise InvalidCase("duo_search_batch needs a list of profiles")
        with self._lock:
            queries = [
                self._genotypes(p, f"query {i}" if batch else "query")
                for i, p in enumerate(profiles)
            ]
            duo_plans = [
                plans.duo_plan(self._vectors, self._coders, q, role, self._tables) for q in queries
            ]
            return self._scan_and_rescore(duo_plans, limits, executor, "parent-child")

    def kinship_search(
        self,
        profile,
        relationship: str,
        *,
        query_role: str = "a",
        top_k: int = 20,
        min_lr: float = 1.0,
        executor: Executor | None = None,
    ) -> list[SearchHit]:
        """Best candidates of a pairwise relationship for one profile, best first.

        ``relationship``: ``full-siblings``, ``half-siblings``, ``grandparent``, ``avuncular``
        or ``first-cousins``. ``query_role="a"``: the LR is ``kinship_lr(relationship, profile,
        stored)`` (the query is the grandparent / uncle); ``"b"``: ``kinship_lr(relationship,
        stored, profile)``. No locus excludes (relatives may share no allele), so every stored
        profile is scored; hits need ``lr >= min_lr``. Settings: ``pairwise_settings``.
        """
        if relationship not in plans.PAIRWISE:
            raise InvalidSettings(
                f"relationship must be one of {', '.join(plans.PAIRWISE)}, got {relationship!r}"
            )
        if query_role not in PAIRWISE_ROLES:
            raise InvalidSettings(
                f"query_role must be one of {', '.join(PAIRWISE_ROLES)}, got {query_role!r}"
            )
        limits = Limits.of(top_k, 0, min_lr)
        with self._lock:
            query = self._genotypes(profile, "query")
            plan = plans.pairwise_plan(self._pair_vectors, self._coders, query, relationship,
                                       query_role, self._tables)  # fmt: skip
            return self._scan_and_rescore([plan], limits, executor, relationship,
                                          max_inc=NO_EXCLUSION)[0]  # fmt: skip

    def _scan_and_rescore(self, query_plans, limits, executor, relationship, max_inc=None):
        if not query_plans:
            return []
        luts = plans.build_luts(self._coders, query_plans)
        mutation = self.settings.mutation_model != "none"
        # without mutation an inconsistent locus has LR 0, which min_lr > 0 refuses anyway
        if max_inc is None:
            max_inc = limits.max_inconsistent if mutation else 0
        threshold = math.log10(limits.min_lr) - SCORE_MARGIN
        rows = self._profiles
        found = (executor or LOCAL).scan(
            self, rows.live_tiles(), rows.used, luts, max_inc, self.min_loci, threshold
        )
        order = np.argsort(found.query, kind="stable")
        bounds = np.searchsorted(found.query[order], np.arange(len(query_plans) + 1))
        results = []
        for q, plan in enumerate(query_plans):
            rows = np.sort(found.row[order[bounds[q] : bounds[q + 1]]])
            scored = self._score_rows(plan, rows)
            results.append(self._finish(scored, limits, len(self._profiles), relationship))
        return results

    def _score_rows(self, plan: plans.Plan, rows: np.ndarray) -> _Scored:
        columns = [c for c in self._canonical if c in plan.tables]
        sub = self._profiles.rows(rows)[:, columns]
        values = np.ones(sub.shape)
        inconsistent = np.zeros(len(rows), np.int64)
        kinds = np.zeros(sub.shape, np.int64)
        for t, c in enumerate(columns):
            table = plan.tables[c]
            values[:, t] = table.values[sub[:, t]]
            inconsistent += table.inconsistent[sub[:, t]]
            kinds[:, t] = plans.KINDS.index(table.kind)
        keys = [self._profiles.keys[r] for r in rows]
        loci = [self._coders[c].locus for c in columns]
        return _Scored(keys, values, sub != MISSING, kinds, inconsistent, loci)

    def parents_search(
        self,
        child_profile,
        *,
        top_k: int = 20,
        max_inconsistent: int = 2,
        min_lr: float = 1.0,
    ) -> list[SearchHit]:
        """Best couples (registered together) for a child: ``parents_lr(child, father, mother)``;
        loci where only one parent of a couple is typed use that parent's duo index."""
        limits = Limits.of(top_k, max_inconsistent, min_lr)
        with self._lock:
            child = self._genotypes(child_profile, "child")
            columns = [c for c in self._canonical if c in child]
            couples = self._couples.matrix()
            width = len(self._coders)
            fathers = couples[:, columns].astype(np.int64)
            mothers = couples[:, [width + c for c in columns]].astype(np.int64)
            inconsistent = np.zeros(len(couples), np.int64)
            for t, c in enumerate(columns):
                inconsistent += self._couple_inconsistent(c, child[c], fathers[:, t], mothers[:, t])
            compared = ((fathers != MISSING) | (mothers != MISSING)).sum(axis=1)
            mutation = self.settings.mutation_model != "none"
            max_inc = limits.max_inconsistent if mutation else 0
            rows = np.flatnonzero((inconsistent <= max_inc) & (compared >= self.min_loci))
            scored = self._score_couples(columns, child, fathers[rows], mothers[rows])
            scored.keys = [self._couples.keys[r] for r in rows]
            scored.inconsistent = inconsistent[rows]
            return self._finish(scored, limits, len(self._couples), "parents")

    def _couple_inconsistent(self, col, child, fathers, mothers) -> np.ndarray:
        coder = self._coders[col]
        f_typed, m_typed = fathers != MISSING, mothers != MISSING
        bad_both = ~plans.can_form(coder, child, fathers, mothers)
        bad_f = ~plans.shares(coder, fathers, child)
        bad_m = ~plans.shares(coder, mothers, child)
        return np.where(
            f_typed & m_typed, bad_both, np.where(f_typed, bad_f, m_typed & bad_m)
        ).astype(np.int64)

    def _score_couples(self, columns, child, fathers, mothers) -> _Scored:
        n = len(fathers)
        values = np.ones((n, len(columns)))
        kinds = np.zeros((n, len(columns)), np.int64)
        for t, c in enumerate(columns):
            coder, f, m = self._coders[c], fathers[:, t], mothers[:, t]
            both = np.flatnonzero((f != MISSING) & (m != MISSING))
            values[both, t] = plans.parents_for_codes(self._vectors, coder, child[c], f[both],
                                                      m[both])  # fmt: skip
            kinds[both, t] = plans.KINDS.index("parents")
            for kind, own, other in (("parent-child", f, m), ("mother-child", m, f)):
                alone = np.flatnonzero((own != MISSING) & (other == MISSING))
                values[alone, t] = plans.duo_for_codes(self._vectors, coder, child[c],
                                                       own[alone], kind, "child")  # fmt: skip
                kinds[alone, t] = plans.KINDS.index(kind)
        present = (fathers != MISSING) | (mothers != MISSING)
        loci = [self._coders[c].locus for c in columns]
        return _Scored([], values, present, kinds, np.zeros(n, np.int64), loci)

    def _finish(
        self, scored: _Scored, limits: Limits, size: int, relationship: str
    ) -> list[SearchHit]:
        """Exact filtering, ranking and top-k of scored candidates."""
        compared = scored.present.sum(axis=1)
        with np.errstate(divide="ignore"):
            approx = np.where(scored.present, np.log10(scored.values), 0.0).sum(axis=1)
        keep = (
            (scored.inconsistent <= limits.max_inconsistent)
            & (compared >= self.min_loci)
            & (approx >= math.log10(limits.min_lr) - 1e-6)
        )
        rows = np.flatnonzero(keep)
        rows = rows[np.argsort(-approx[rows], kind="stable")]
        want = limits.top_k + RESCORE_EXTRA
        if len(rows) > want:
            rows = rows[approx[rows] >= approx[rows[want - 1]] - RANK_TOLERANCE]
        pairwise = relationship in plans.PAIRWISE
        settings = self.pairwise_settings if pairwise else self.settings
        ranked = []
        for i in rows:
            typed = np.flatnonzero(scored.present[i])
            lr, log10 = combine(float(v) for v in scored.values[i, typed])
            if lr >= limits.min_lr:
                ranked.append((log10, scored.keys[i], lr, i, typed))
        ranked.sort(key=lambda h: (-h[0], h[1]))
        hits = []
        models: dict[tuple, object] = {}
        for log10, key, lr, i, typed in ranked[: limits.top_k]:
            parts = tuple((plans.KINDS[scored.kinds[i, t]], scored.loci[t]) for t in typed)
            if parts not in models:
                models[parts] = tail_model(self.table, settings, parts)
            tail = models[parts].tail(log10)
            hits.append(
                SearchHit(
                    key=key,
                    lr=lr,
                    log10_lr=log10,
                    inconsistent_loci=int(scored.inconsistent[i]),
                    loci_compared=len(typed),
                    expected_false_hits=size * tail,
                    relationship=relationship,
                    loci=tuple(scored.loci[t] for t in typed),
                )
            )
        return hits
