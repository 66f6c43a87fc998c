"""Linking missing children with found persons: estimate the model, score pairs, explain them."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

import pyarrow as pa
from splink import Linker, block_on
from splink.internals.exceptions import SplinkException

from fanguai.linkage._comparisons import comparison_fields
from fanguai.linkage._model import (
    LinkageModel,
    default_model,
    model_from_splink,
    prediction_blocking_rules,
    splink_settings,
)
from fanguai.linkage._prepare import FOUND, MISSING, to_table
from fanguai.linkage._records import CleanRecord, Record, validate_records
from fanguai.linkage.errors import EstimationFailed, InvalidModel, InvalidSettings

__all__ = [
    "DEFAULT_THRESHOLD",
    "ENGINES",
    "MIN_RECORDS_TO_ESTIMATE",
    "FieldWeight",
    "Pair",
    "estimate_model",
    "link",
    "link_clean",
    "estimate_clean",
]

ENGINES = ("duckdb", "spark")
DEFAULT_THRESHOLD = 0.5
# Below this many records on either side the model is not estimated from the records.
MIN_RECORDS_TO_ESTIMATE = 200
DEFAULT_SEED = 20211
DEFAULT_U_MAX_PAIRS = 2e6
DEFAULT_EM_MAX_PAIRS = 2e6
# Pairs that satisfy one of these rules are taken as matches to count the prior, whose recall
# among all matches is taken to be _DETERMINISTIC_RECALL.
_DETERMINISTIC_RULES = (
    block_on("name", "birth_day"),
    block_on("name", "birth_year", "place_code", "sex"),
)
_DETERMINISTIC_RECALL = 0.6
# EM runs on pairs with the same name pinyin (estimates every field but the name), then on pairs
# with the same birth day and county (estimates the name, among others).
_EM_BLOCKING_COLUMNS = (("name_sorted",), ("birth_day", "place_code"))
# The prior is re-estimated on the blocked pairs of all missing records with at most this many
# found records.
PRIOR_SAMPLE_FOUND = 20_000
_PRIOR_ITERATIONS = 50
_PRIOR_MIN = 1e-12


class FieldWeight(NamedTuple):
    """What one field adds to a pair's match weight: the level it reached and log2(m/u)."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True)
class Pair:
    """A missing child and a found person who may be the same child.

    ``explanation`` starts with the prior (field ``"prior"``) and has one entry per compared
    field; the weights add up to ``match_weight`` (log2 of the posterior odds), and
    ``match_probability`` is ``1 / (1 + 2 ** -match_weight)``.
    """

    missing_id: str
    found_id: str
    match_probability: float
    match_weight: float
    explanation: tuple[FieldWeight, ...]


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise InvalidSettings(f"threshold must be a number, got {threshold!r}")
    if not (math.isfinite(threshold) and 0 <= threshold <= 1):
        raise InvalidSettings(f"threshold must be between 0 and 1, got {threshold!r}")
    return float(threshold)


def _db_api(engine: str, spark_session: Any) -> Any:
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        if spark_session is None:
            raise InvalidSettings("engine 'spark' needs a spark_session")
        from splink import SparkAPI

        return SparkAPI(spark_session=spark_session)
    raise InvalidSettings(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


_SPARK_TYPES = {
    pa.string(): "STRING",
    pa.int32(): "INT",
    pa.float64(): "DOUBLE",
    pa.list_(pa.string()): "ARRAY<STRING>",
}


def _spark_frame(table: pa.Table, spark_session: Any) -> Any:
    """A Spark DataFrame with the declared schema (Spark cannot infer all-null columns)."""
    schema = ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in table.schema)
    return spark_session.createDataFrame(table.to_pylist(), schema=schema)


class _Session:
    """Both sides registered once with one backend; linkers are made over them."""

    def __init__(
        self,
        missing: Sequence[CleanRecord],
        found: Sequence[CleanRecord],
        engine: str,
        spark_session: Any,
    ) -> None:
        self.counts = {MISSING: len(missing), FOUND: len(found)}
        self.engine = engine
        self.spark_session = spark_session
        self.api = _db_api(engine, spark_session)
        self.tables = {MISSING: to_table(missing, MISSING), FOUND: to_table(found, FOUND)}
        self.frames = [self._register(table, side) for side, table in self.tables.items()]

    def _register(self, table: pa.Table, side: str, name: str | None = None) -> Any:
        data = table if self.engine == "duckdb" else _spark_frame(table, self.spark_session)
        return self.api.register(data, dataset_display_name=side, table_name=name or side)

    def linker(
        self, model: LinkageModel | None, *, frames: Any = None, lean: bool = False
    ) -> Linker:
        settings = splink_settings(
            model, blocking_rules=prediction_blocking_rules(), lean=lean, dialect=self.engine
        )
        return Linker(frames or self.frames, settings, log_level=None)

    def estimate(self, *, seed: int, u_max_pairs: float, em_max_pairs: float) -> LinkageModel:
        smallest = min(self.counts.values())
        if smallest < MIN_RECORDS_TO_ESTIMATE:
            raise EstimationFailed(
                f"too few records to estimate the model ({smallest}; at least "
                f"{MIN_RECORDS_TO_ESTIMATE} on each side)"
            )
        linker = self.linker(None)
        training = linker.training
        steps: list[tuple[str, Callable[[], object]]] = [
            (
                "prior from agreeing pairs",
                lambda: training.estimate_probability_two_random_records_match(
                    list(_DETERMINISTIC_RULES), recall=_DETERMINISTIC_RECALL
                ),
            ),
            (
                "u by random sampling",
                lambda: training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed),
            ),
            *(
                (
                    f"m by expectation maximisation on pairs with the same {', '.join(columns)}",
                    lambda columns=columns: (
                        training.estimate_parameters_using_expectation_maximisation(
                            block_on(*columns),
                            estimate_without_term_frequencies=True,
                            max_pairs=em_max_pairs,
                        )
                    ),
                )
                for columns in _EM_BLOCKING_COLUMNS
            ),
        ]
        for step, run in steps:
            try:
                run()
            except (ArithmeticError, ValueError, SplinkException) as exc:
                raise EstimationFailed(
                    f"cannot estimate the model from these records ({step}: {exc}); "
                    "use a saved model or the built-in one"
                ) from exc
        info = {
            "records": dict(self.counts),
            "seed": seed,
            "u_max_pairs": u_max_pairs,
            "em_max_pairs": em_max_pairs,
        }
        model = model_from_splink(linker.misc.save_model_to_json(), info, u_floor=0.5 / u_max_pairs)
        model = self._with_estimated_prior(model, seed=seed)
        try:  # the numbers a degenerate data set gives (NaN, 0, 1) do not survive this
            return LinkageModel.from_dict(model.to_dict())
        except InvalidModel as exc:
            raise EstimationFailed(f"the estimated model is unusable ({exc})") from exc

    def _with_estimated_prior(self, model: LinkageModel, *, seed: int) -> LinkageModel:
        """The prior re-estimated as the expected share of matches among all pairs.

        Blocked pairs of all missing records with a sample of the found ones are scored once;
        then p ← Σ P(match | pair, p) / (pairs in total) is iterated to its fixed point. Pairs
        outside the blocking are taken as non-matches.
        """
        found = self.tables[FOUND]
        sample_size = min(found.num_rows, PRIOR_SAMPLE_FOUND)
        # Sampling for an estimate, not for secrecy.
        rng = random.Random(seed)  # noqa: S311
        rows = sorted(rng.sample(range(found.num_rows), sample_size))
        sample = self._register(found.take(rows), FOUND, f"found_sample_{seed}")
        scored = self.linker(model, frames=[self.frames[0], sample], lean=True)
        weights = scored.inference.predict(warning_mode="never")
        total_pairs = self.counts[MISSING] * sample_size
        prior, iterations = _fixed_point_prior(weights, model, total_pairs)
        weights.drop_table_from_database_and_remove_from_cache()
        training = {
            **model.training,
            "prior": {"found_sample": sample_size, "pairs": total_pairs, "iterations": iterations},
        }
        return replace(model, probability_two_random_records_match=prior, training=training)

    def predict(self, model: LinkageModel, threshold: float) -> list[Pair]:
        model = model.scaled_to(self.counts[MISSING])
        linker = self.linker(model)
        # Splink filters on the weight; ask for a hair less and apply the threshold exactly here.
        floor = max(0.0, threshold - 1e-9)
        scored = linker.inference.predict(
            threshold_match_probability=floor if floor > 0 else None, warning_mode="never"
        )
        rows = scored.as_record_list()
        scored.drop_table_from_database_and_remove_from_cache()
        pairs = [_pair(row, model) for row in rows]
        pairs = [p for p in pairs if p.match_probability >= threshold]
        pairs.sort(key=lambda p: (-p.match_weight, p.missing_id, p.found_id))
        return pairs


def _fixed_point_prior(weights: Any, model: LinkageModel, total_pairs: int) -> tuple[float, int]:
    """Iterate p ← Σ P(match | pair, p) / total_pairs over scored pairs; (p, iterations)."""
    prior = model.probability_two_random_records_match
    offset = -model.prior_weight  # match_weight + offset: the pair's weight without the prior
    for iteration in range(1, _PRIOR_ITERATIONS + 1):
        log_odds = math.log2(prior / (1 - prior))
        # Only numbers are formatted into the query.
        query = (
            "SELECT sum(1.0 / (1.0 + power(2.0, -(match_weight + "  # noqa: S608
            f"({offset!r}) + ({log_odds!r}))))) AS expected FROM {{this}}"
        )
        expected = weights.query_sql(query).as_record_list()[0]["expected"]
        updated = min(max(float(expected or 0.0) / total_pairs, _PRIOR_MIN), 0.5)
        if abs(updated - prior) <= 1e-4 * prior:
            return updated, iteration
        prior = updated
    return prior, _PRIOR_ITERATIONS


def _level_labels() -> dict[str, dict[int, str]]:
    """Splink's comparison vector value of each level: -1 null, then n-1 … 0 down the list."""
    out: dict[str, dict[int, str]] = {}
    for spec in comparison_fields():
        non_null = [lv for lv in spec.levels if not lv.is_null]
        labels = {len(non_null) - 1 - i: lv.label for i, lv in enumerate(non_null)}
        labels[-1] = next(lv.label for lv in spec.levels if lv.is_null)
        out[spec.name] = labels
    return out


_LABELS = _level_labels()


def _field_weight(row: dict[str, Any], name: str) -> FieldWeight:
    """The level's weight plus, for an exact name, its term-frequency adjustment."""
    weight = sum(row.get(column) or 0.0 for column in (f"mw_{name}", f"mw_tf_adj_{name}"))
    return FieldWeight(name, _LABELS[name][int(row[f"gamma_{name}"])], float(weight))


def _pair(row: dict[str, Any], model: LinkageModel) -> Pair:
    if row["source_dataset_l"] == MISSING:
        missing_id, found_id = row["unique_id_l"], row["unique_id_r"]
    else:
        missing_id, found_id = row["unique_id_r"], row["unique_id_l"]
    explanation = (
        FieldWeight("prior", "probability two random records match", model.prior_weight),
        *(_field_weight(row, spec.name) for spec in comparison_fields()),
    )
    return Pair(
        missing_id=str(missing_id),
        found_id=str(found_id),
        match_probability=float(row["match_probability"]),
        match_weight=float(row["match_weight"]),
        explanation=explanation,
    )


def _clean_both(
    missing: Sequence[Record], found: Sequence[Record], today: date | None
) -> tuple[list[CleanRecord], list[CleanRecord]]:
    return (
        validate_records(missing, source="missing", today=today),
        validate_records(found, source="found", today=today),
    )


def estimate_clean(
    missing: Sequence[CleanRecord],
    found: Sequence[CleanRecord],
    *,
    seed: int = DEFAULT_SEED,
    u_max_pairs: float = DEFAULT_U_MAX_PAIRS,
    em_max_pairs: float = DEFAULT_EM_MAX_PAIRS,
    engine: str = "duckdb",
    spark_session: Any = None,
) -> LinkageModel:
    """``estimate_model`` for records already validated."""
    session = _Session(missing, found, engine, spark_session)
    return session.estimate(seed=seed, u_max_pairs=u_max_pairs, em_max_pairs=em_max_pairs)


def estimate_model(
    missing: Sequence[Record],
    found: Sequence[Record],
    *,
    seed: int = DEFAULT_SEED,
    u_max_pairs: float = DEFAULT_U_MAX_PAIRS,
    em_max_pairs: float = DEFAULT_EM_MAX_PAIRS,
    engine: str = "duckdb",
    spark_session: Any = None,
    today: date | None = None,
) -> LinkageModel:
    """Estimate the model from the records themselves (no labelled pairs needed).

    u probabilities come from up to ``u_max_pairs`` random pairs (seeded), m probabilities
    from expectation maximisation on pairs sharing the name pinyin and on pairs sharing the
    birth day and county, the prior from pairs agreeing on name, birth date and place.
    Needs ``MIN_RECORDS_TO_ESTIMATE`` records on each side.

    >>> from fanguai.linkage import synth
    >>> data = synth.generate(n_missing=2000, n_found=2000, seed=7)
    >>> model = estimate_model(data.missing, data.found)
    >>> sex = model.field_parameters("sex")
    >>> sex.levels[2].label, sex.levels[2].weight < -3
    ('different', True)
    """
    clean_missing, clean_found = _clean_both(missing, found, today)
    return estimate_clean(
        clean_missing,
        clean_found,
        seed=seed,
        u_max_pairs=u_max_pairs,
        em_max_pairs=em_max_pairs,
        engine=engine,
        spark_session=spark_session,
    )


def link_clean(
    missing: Sequence[CleanRecord],
    found: Sequence[CleanRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: LinkageModel | None = None,
    engine: str = "duckdb",
    spark_session: Any = None,
    seed: int = DEFAULT_SEED,
) -> tuple[list[Pair], LinkageModel]:
    """``link`` for records already validated; also returns the model it used."""
    threshold = _check_threshold(threshold)
    if not missing or not found:
        return [], model or default_model()
    session = _Session(missing, found, engine, spark_session)
    if model is None:
        try:
            model = session.estimate(
                seed=seed, u_max_pairs=DEFAULT_U_MAX_PAIRS, em_max_pairs=DEFAULT_EM_MAX_PAIRS
            )
        except EstimationFailed:
            model = default_model()
    return session.predict(model, threshold), model


def link(
    missing: Sequence[Record],
    found: Sequence[Record],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: LinkageModel | None = None,
    engine: str = "duckdb",
    spark_session: Any = None,
    today: date | None = None,
) -> list[Pair]:
    """Pairs (missing child, found person) with a match probability of at least ``threshold``,
    best first (highest match weight; ties by ids).

    Without a ``model`` the parameters are estimated from these records when each side has
    at least ``MIN_RECORDS_TO_ESTIMATE`` of them, otherwise the shipped ``default_model()`` is
    used. Invalid records raise ``InvalidRecords`` (row = position from 1) before anything runs.
    ``engine="spark"`` runs on Splink's Spark backend with the given ``spark_session``.

    >>> from fanguai.linkage import Record, default_model
    >>> missing = [Record("M1", "单伟", "M", "2015-03-02", "320508", "2020-05-01")]
    >>> found = [Record("F1", "善伟", "M", "2015", "320506", "2020-05-09")]
    >>> [(p.missing_id, p.found_id) for p in link(missing, found, model=default_model())]
    [('M1', 'F1')]
    """
    clean_missing, clean_found = _clean_both(missing, found, today)
    pairs, _ = link_clean(
        clean_missing,
        clean_found,
        threshold=threshold,
        model=model,
        engine=engine,
        spark_session=spark_session,
    )
    return pairs
