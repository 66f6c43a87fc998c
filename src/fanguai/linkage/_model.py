"""The linkage model: Fellegi–Sunter parameters per field and level, their JSON, their estimate."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import Any

import splink
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from fanguai.linkage._comparisons import Field, comparison_fields
from fanguai.linkage.errors import InvalidModel

__all__ = [
    "LINKAGE_VERSION",
    "FieldParameters",
    "LevelParameters",
    "LinkageModel",
    "default_model",
    "prediction_blocking_rules",
    "splink_settings",
]

# Major version: the comparisons (fields, levels, columns); a model loads only into the same
# major version. Minor: anything else that changes results (blocking, estimation defaults).
LINKAGE_VERSION = "1.0"
_FORMAT = "fanguai-linkage-model"


@dataclass(frozen=True)
class LevelParameters:
    """m: P(level | same person); u: P(level | different people). ``None``: not estimated."""

    label: str
    m: float | None
    u: float | None

    @property
    def weight(self) -> float | None:
        """log2(m / u), the match weight this level adds; ``None`` for a null level."""
        if self.m is None or self.u is None:
            return None
        if self.m == 0:
            return -math.inf
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class FieldParameters:
    """The levels of one compared field, most similar first (the null level first of all)."""

    field: str
    levels: tuple[LevelParameters, ...]


@dataclass(frozen=True)
class LinkageModel:
    """Estimated parameters of the linkage model, with the version of the code that made them.

    ``training`` records how the parameters were estimated (record counts, seed, pair counts).

    >>> model = default_model()
    >>> LinkageModel.from_json(model.to_json()) == model
    True
    """

    probability_two_random_records_match: float
    fields: tuple[FieldParameters, ...]
    version: str = LINKAGE_VERSION
    training: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds that two random records are the same person."""
        p = self.probability_two_random_records_match
        return math.log2(p / (1 - p))

    def scaled_to(self, n_missing: int) -> LinkageModel:
        """This model with the prior for a register of ``n_missing`` missing children.

        The prior is kept as the share of found persons who are in the register
        (prior × missing records at training), spread over the register at hand; a model that
        does not record its training size is returned as it is.
        """
        trained_on = (self.training.get("records") or {}).get("missing")
        if not isinstance(trained_on, int) or trained_on <= 0 or n_missing in (0, trained_on):
            return self
        share = self.probability_two_random_records_match * trained_on
        prior = min(share / n_missing, 0.5)
        return replace(self, probability_two_random_records_match=prior)

    def field_parameters(self, name: str) -> FieldParameters:
        """The parameters of one field."""
        for f in self.fields:
            if f.field == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (see ``to_json``)."""
        return {
            "format": _FORMAT,
            "linkage_version": self.version,
            "splink_version": splink.__version__,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "fields": [
                {
                    "field": f.field,
                    "levels": [{"label": lv.label, "m": lv.m, "u": lv.u} for lv in f.levels],
                }
                for f in self.fields
            ],
            "training": dict(self.training),
        }

    def to_json(self) -> str:
        """The model as JSON text (UTF-8, indented, stable key order)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> LinkageModel:
        """Read ``to_dict`` output; ``InvalidModel`` unless it fits this code's comparisons."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise InvalidModel(f'not a linkage model (expected "format": "{_FORMAT}")')
        version = data.get("linkage_version")
        if not isinstance(version, str) or version.split(".")[0] != LINKAGE_VERSION.split(".")[0]:
            raise InvalidModel(
                f"model made by linkage version {version!r}; this is {LINKAGE_VERSION} "
                "(estimate the model again)"
            )
        prior = _probability(data.get("probability_two_random_records_match"), "prior")
        if prior is None or not 0 < prior < 1:
            raise InvalidModel("probability_two_random_records_match must be between 0 and 1")
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, list):
            raise InvalidModel("'fields' must be a list")
        expected = comparison_fields()
        if [f.get("field") if isinstance(f, dict) else None for f in raw_fields] != [
            f.name for f in expected
        ]:
            raise InvalidModel(
                "the model's fields differ from this version's: expected "
                + ", ".join(f.name for f in expected)
            )
        training = data.get("training", {})
        if not isinstance(training, dict):
            raise InvalidModel("'training' must be an object")
        return cls(
            probability_two_random_records_match=prior,
            fields=tuple(
                _field_parameters(raw, spec) for raw, spec in zip(raw_fields, expected, strict=True)
            ),
            version=version,
            training=training,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> LinkageModel:
        """Read ``to_json`` output; raise ``InvalidModel`` for anything else."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidModel(f"model is not valid JSON ({exc})") from None
        return cls.from_dict(data)


def _probability(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidModel(f"{where}: {value!r} is not a probability")
    if not 0 <= value <= 1:
        raise InvalidModel(f"{where}: {value!r} is not between 0 and 1")
    return float(value)


def _field_parameters(raw: dict[str, Any], spec: Field) -> FieldParameters:
    levels = raw.get("levels")
    labels = [lv.label for lv in spec.levels]
    if (
        not isinstance(levels, list)
        or [lv.get("label") if isinstance(lv, dict) else None for lv in levels] != labels
    ):
        raise InvalidModel(
            f"field {spec.name!r}: levels differ from this version's ({', '.join(labels)})"
        )
    out = []
    for raw_level, level in zip(levels, spec.levels, strict=True):
        where = f"field {spec.name!r} level {level.label!r}"
        m = _probability(raw_level.get("m"), f"{where} m")
        u = _probability(raw_level.get("u"), f"{where} u")
        if not level.is_null and (m is None or u is None or u == 0):
            raise InvalidModel(f"{where}: needs m and u, and u above 0")
        out.append(LevelParameters(level.label, m, u))
    return FieldParameters(spec.name, tuple(out))


def prediction_blocking_rules() -> list[Any]:
    """Which pairs are scored: those sharing any one of these keys.

    The name's syllables in any order (exact names, homophones, variant characters, swapped
    characters); the surname with the first or the last syllable of the given name and the
    year of birth or the county (a dropped or miswritten character); the given name with the
    year of birth (another surname); the exact birth date with the sex, and the parents' names
    (no name, or a new one).
    """
    return [
        block_on("name_sorted"),
        block_on("surname_pinyin", "given_first", "birth_year"),
        block_on("surname_pinyin", "given_last", "birth_year"),
        block_on("surname_pinyin", "given_first", "place_code"),
        block_on("surname_pinyin", "given_last", "place_code"),
        block_on("given_pinyin", "birth_year"),
        block_on("birth_day", "sex"),
        block_on("father_given", "mother_name"),
    ]


def _comparison(spec: Field, params: FieldParameters | None) -> cl.CustomComparison:
    levels = []
    for index, level in enumerate(spec.levels):
        creator = level.build().configure(label_for_charts=level.label, is_null_level=level.is_null)
        if params is not None and not level.is_null:
            p = params.levels[index]
            creator.configure(m_probability=p.m, u_probability=p.u)
        levels.append(creator)
    return cl.CustomComparison(levels, output_column_name=spec.name)


def splink_settings(
    model: LinkageModel | None,
    *,
    blocking_rules: list[Any],
    lean: bool = False,
    dialect: str = "duckdb",
) -> SettingsCreator:
    """Splink settings for this model (untrained when ``model`` is ``None``).

    ``lean`` settings score pairs without keeping the compared columns and the per-field
    weights (for counting); otherwise both are kept to explain each pair.
    """
    specs = comparison_fields(dialect)
    params = model.fields if model else (None,) * len(specs)
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[_comparison(s, p) for s, p in zip(specs, params, strict=True)],
        blocking_rules_to_generate_predictions=blocking_rules,
        probability_two_random_records_match=(
            model.probability_two_random_records_match if model else 1e-6
        ),
        retain_matching_columns=not lean,  # the levels (gamma columns) come with them
        retain_intermediate_calculation_columns=not lean,
    )


# No level's m is taken below this: one field's disagreement (a typing error, a wrong date) then
# costs at most about log2(M_FLOOR / u) bits instead of vetoing the pair.
M_FLOOR = 1e-3


def _regularised(values: list[float | None], fill: list[float], floor: float) -> list[float]:
    """Missing values filled, small ones raised to ``floor``, then scaled to sum to 1."""
    raised = [max(floor, v if v is not None else f) for v, f in zip(values, fill, strict=True)]
    total = sum(raised)
    return [v / total for v in raised]


def model_from_splink(
    settings: Mapping[str, Any], training: Mapping[str, Any], *, u_floor: float
) -> LinkageModel:
    """Our model from the dictionary of a trained Splink linker (``save_model_to_json``).

    A u that random sampling never met is taken as ``u_floor``; an m that EM could not
    estimate as equal to u (the level then weighs nothing); every m is at least ``M_FLOOR``.
    """
    fields_ = []
    for spec, comparison in zip(comparison_fields(), settings["comparisons"], strict=True):
        raw = comparison["comparison_levels"]
        kept = [i for i, level in enumerate(spec.levels) if not level.is_null]
        u = _regularised(
            [raw[i].get("u_probability") or None for i in kept], [u_floor] * len(kept), u_floor
        )
        m = _regularised([raw[i].get("m_probability") for i in kept], u, M_FLOOR)
        by_index = {i: (m_i, u_i) for i, m_i, u_i in zip(kept, m, u, strict=True)}
        levels = tuple(
            LevelParameters(level.label, *by_index.get(i, (None, None)))
            for i, level in enumerate(spec.levels)
        )
        fields_.append(FieldParameters(spec.name, levels))
    return LinkageModel(
        probability_two_random_records_match=settings["probability_two_random_records_match"],
        fields=tuple(fields_),
        training={**training, "m_floor": M_FLOOR, "u_floor": u_floor},
    )


@cache
def default_model() -> LinkageModel:
    """The model shipped with the package, estimated on synthetic data (see docs/linkage.md).

    Used where the records at hand are too few to estimate from.
    """
    text = files("fanguai.linkage").joinpath("data", "default_model.json").read_text("utf-8")
    return LinkageModel.from_json(text)
