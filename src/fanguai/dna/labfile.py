"""Lab result files (CSV, long and wide forms): parsed and checked row by row, locus by locus.

Long form, one row per sample and locus::

    sample,kind,couple,locus,allele1,allele2
    SZ-F-001,father,C01,D3S1358,15,16

(``marker``/``sample name``/``allele 1`` as GeneMapper writes them are read too; a row with
only ``allele1`` is homozygous.) Wide form, one row per sample, a column per locus with the
genotype ``15/16``, or two columns ``D3S1358_1`` and ``D3S1358_2`` as in the NIST data::

    sample,kind,couple,D3S1358,vWA,...
    SZ-C-001,unknown_child,,15/16,17/18,...

``kind`` is one of ``KINDS`` (or its Chinese label), ``couple`` is optional: a label shared by
a father and a mother registered together; ``relation`` is a ``relative``'s relation to the
missing child (``RELATIONS``, or an English or Chinese name), required for that kind only.
Nothing here touches the database: the result is either every sample, or every error with its
row, sample and locus.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fanguai.dna.models import KINDS, PARENT_KINDS
from fanguai.kinship import FrequencyTable, KinshipError, normalise_locus, parse_genotype
from fanguai.kinship._loci import IGNORED_LOCI

LAYOUTS = ("long", "wide")
MAX_ERRORS = 200
MAX_SAMPLES = 5000

#: Autosomal STR loci a lab may type (CODIS 20, the Chinese paternity panel, the Penta loci
#: and the loci of the built-in East Asian table). Anything else is an unknown locus.
KNOWN_LOCI = frozenset(
    {
        "CSF1PO", "FGA", "TH01", "TPOX", "vWA", "D3S1358", "D5S818", "D7S820", "D8S1179",
        "D13S317", "D16S539", "D18S51", "D21S11", "D1S1656", "D2S441", "D2S1338", "D10S1248",
        "D12S391", "D19S433", "D22S1045", "D6S1043", "Penta B", "Penta C", "Penta D",
        "Penta E", "SE33", "F13A01", "F13B", "FESFPS", "LPL", "D2S1360", "D3S1744",
        "D4S2366", "D5S2500", "D6S474", "D7S1517", "D8S1132", "D9S1122", "D10S1435",
        "D10S2325", "D11S554", "APOAI1", "D14S1434", "D17S906", "D17S1301", "D20S482",
        "D21S2055", "D1S1677", "D11S4463", "D1S1627", "D3S4529", "D2S1776", "D6S1017",
        "D4S2408", "D9S2157", "D17S1290", "D13S325", "D15S659", "D18S1364", "D20S470",
        "D22GATA198B05", "D12ATA63", "D8S1115",
    }
)  # fmt: skip

_HEADER_ALIASES = {
    "sample": ("sample", "samplename", "sampleid", "specimen", "样本编号", "样本"),
    "kind": ("kind", "type", "类别", "样本类别"),
    "couple": ("couple", "夫妇", "夫妻"),
    "relation": ("relation", "relationship", "亲属关系", "与失踪儿童关系"),
    "locus": ("locus", "marker", "基因座"),
    "allele1": ("allele1", "等位基因1"),
    "allele2": ("allele2", "等位基因2"),
    "genotype": ("genotype", "基因型"),
}
KIND_LABELS = {
    "父亲": "father",
    "母亲": "mother",
    "亲属": "relative",
    "来历不明儿童": "unknown_child",
    "被解救人员": "rescued_victim",
    "身份不明人员": "unidentified",
}
#: A relative's relationship to the missing child: the kinship engine's pairwise relationships.
#: ``a`` of ``kinship_lr`` is the relative (the grandparent, the uncle or aunt), ``b`` the child.
RELATIONS = ("full-siblings", "half-siblings", "grandparent", "avuncular", "first-cousins")
RELATION_LABELS = {
    **{r: r for r in RELATIONS},
    "full-sibling": "full-siblings",
    "sibling": "full-siblings",
    "half-sibling": "half-siblings",
    "grandfather": "grandparent",
    "grandmother": "grandparent",
    "uncle": "avuncular",
    "aunt": "avuncular",
    "first-cousin": "first-cousins",
    "cousin": "first-cousins",
    "全同胞": "full-siblings",
    "同胞": "full-siblings",
    "兄弟姐妹": "full-siblings",
    "哥哥": "full-siblings",
    "姐姐": "full-siblings",
    "弟弟": "full-siblings",
    "妹妹": "full-siblings",
    "半同胞": "half-siblings",
    "同父异母": "half-siblings",
    "同母异父": "half-siblings",
    "祖父母": "grandparent",
    "外祖父母": "grandparent",
    "祖父": "grandparent",
    "祖母": "grandparent",
    "外祖父": "grandparent",
    "外祖母": "grandparent",
    "爷爷": "grandparent",
    "奶奶": "grandparent",
    "外公": "grandparent",
    "外婆": "grandparent",
    "叔伯姑舅姨": "avuncular",
    "伯父": "avuncular",
    "叔叔": "avuncular",
    "叔父": "avuncular",
    "姑姑": "avuncular",
    "姑妈": "avuncular",
    "舅舅": "avuncular",
    "姨妈": "avuncular",
    "姨": "avuncular",
    "堂表亲": "first-cousins",
    "堂兄弟姐妹": "first-cousins",
    "表兄弟姐妹": "first-cousins",
}
# A lab sample number: letters, digits and - _ . only, so no name can be written in it.
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# Runs of digits that look like a resident ID number or a mobile phone number.
_ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}|1[3-9]\d{9}")
_PAIR = re.compile(r"^(.+?)[ _]([12])$")


#: What can be wrong, in English (the API); the pages show ``dna.err.<code>`` in Chinese.
MESSAGES = {
    "layout": "layout must be long or wide",
    "empty_file": "the file has no header and data rows",
    "column_twice": "column {column!r} is given twice",
    "missing_column": "the header has no {column!r} column",
    "missing_alleles": "the header needs 'allele1' (and 'allele2') or 'genotype'",
    "empty_ref": "the sample number is empty",
    "bad_ref": "the sample number must be 1–40 letters, digits, '-', '_' or '.' "
    "(a lab number, never a name)",
    "id_like_ref": "the sample number looks like an ID card or phone number; use the "
    "lab's own number",
    "unknown_kind": "unknown kind (one of " + ", ".join(KINDS) + ")",
    "bad_couple": "the couple label must be letters, digits, '-', '_' or '.'",
    "inconsistent_sample": "kind, couple or relation differs from the sample's first row",
    "missing_relation": "a relative needs its relation to the missing child (one of "
    + ", ".join(RELATIONS)
    + ")",
    "unknown_relation": "unknown relation (one of " + ", ".join(RELATIONS) + ")",
    "relation_not_relative": "only a sample of kind relative has a relation",
    "duplicate_sample": "sample appears twice in the file",
    "unknown_locus": "unknown locus {value!r}",
    "no_frequencies": "the frequency table {table!r} has no frequencies for this locus; "
    "its allele calls are stored but not searched or compared",
    "too_many_columns": "locus has more than two columns",
    "typed_twice": "locus typed twice for this sample",
    "malformed": "the genotype is not an STR genotype (expected alleles such as 15/16 or 9.3/10)",
    "too_many_samples": "{count} samples; at most {limit} per file",
    "too_few_loci": "{count} loci with frequencies typed; at least {minimum} are needed to search",
    "couple_members": "couple {label} must be one father and one mother",
    "taken": "already in the store for this lab",
}


@dataclass(frozen=True)
class RowError:
    """One problem in a lab file: where it is (row 1 is the header) and what is wrong."""

    row: int | None
    code: str
    sample: str | None = None
    locus: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**dict(self.params))

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.sample:
            parts.append(f"sample {self.sample}")
        if self.locus:
            parts.append(f"locus {self.locus}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "sample": self.sample,
            "locus": self.locus,
            "code": self.code,
            "message": self.message,
        }


def error(
    row: int | None,
    code: str,
    *,
    sample: str | None = None,
    locus: str | None = None,
    **params: object,
) -> RowError:
    """A ``RowError`` with its message parameters."""
    return RowError(row, code, sample, locus, tuple(sorted(params.items())))


@dataclass
class LabSample:
    """One sample of the file, checked: canonical genotypes per locus."""

    ref: str
    kind: str
    couple: str | None
    row: int  # first row of the sample
    relation: str | None = None  # a relative's relationship to the missing child
    genotypes: dict[str, tuple[str, str]] = field(default_factory=dict)

    def profile(self) -> dict[str, str]:
        """``{locus: "a/b"}`` in canonical form (what is stored, encrypted)."""
        return {locus: "/".join(g) for locus, g in sorted(self.genotypes.items())}


@dataclass(frozen=True)
class Notice:
    """Not an error: something the importer should know (once per file and locus)."""

    locus: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**dict(self.params))

    def __str__(self) -> str:
        return f"locus {self.locus}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"locus": self.locus, "code": self.code, "message": self.message}


@dataclass
class LabFile:
    """The outcome of reading a file: samples when ``errors`` is empty.

    ``notices`` name the loci typed in the file that the frequency table lacks (D6S1043 in
    norSTR): their allele calls are stored with the profile, never searched or compared.
    """

    layout: str
    rows: int = 0
    samples: list[LabSample] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def add_error(self, error: RowError) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lstrip("\ufeff")).lower()


def _role_of(header: str) -> str | None:
    key = _key(header)
    for role, aliases in _HEADER_ALIASES.items():
        if key in aliases:
            return role
    return None


def check_ref(value: str) -> str | None:
    """Why ``value`` is not acceptable as a lab sample number (an error code), or None."""
    if not value:
        return "empty_ref"
    if not _REF.match(value):
        return "bad_ref"
    if _ID_LIKE.search(value):
        return "id_like_ref"
    return None


def check_kind(value: str) -> str | None:
    """The kind code for a cell (code or Chinese label), or None when unknown."""
    text = value.strip()
    if text in KINDS:
        return text
    return KIND_LABELS.get(text)


def check_relation(value: str) -> str | None:
    """The relation code for a cell (code, English or Chinese name), or None when unknown."""
    text = value.strip()
    return RELATION_LABELS.get(re.sub(r"[\s_]+", "-", text.lower()), RELATION_LABELS.get(text))


def relation_problem(kind: str, text: str) -> tuple[str | None, str | None]:
    """(relation code, error code): a relative needs a known relation, others none."""
    text = text.strip()
    if kind != "relative":
        return None, ("relation_not_relative" if text else None)
    if not text:
        return None, "missing_relation"
    relation = check_relation(text)
    return relation, (None if relation else "unknown_relation")


def check_locus(raw: str, table: FrequencyTable, row: int | None, sample: str | None = None):  # type: ignore[no-untyped-def]
    """(canonical locus, None) or (None, error) for an unknown name. A known locus the table
    lacks is accepted: it is stored, and ``Notice``d, but never computed with."""
    name = raw.strip()
    try:
        locus = normalise_locus(name)
    except KinshipError:
        return None, error(row, "unknown_locus", sample=sample, locus=name, value=name)
    if locus in IGNORED_LOCI:
        return locus, None
    if locus not in KNOWN_LOCI:
        return None, error(row, "unknown_locus", sample=sample, locus=name, value=name)
    return locus, None


def read_lab_file(text: str, layout: str, table: FrequencyTable, *, min_loci: int) -> LabFile:
    """Read a lab file in ``layout`` (long or wide): every sample, or every error found."""
    result = LabFile(layout=layout)
    if layout not in LAYOUTS:
        result.add_error(error(None, "layout"))
        return result
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        result.add_error(error(None, "empty_file"))
        return result
    result.rows = len(rows) - 1
    if layout == "long":
        _read_long(rows, table, result)
    else:
        _read_wide(rows, table, result)
    if not result.errors:
        _check_samples(result, table, min_loci)
    missing = {locus for s in result.samples for locus in s.genotypes if not table.has_locus(locus)}
    result.notices = [
        Notice(locus, "no_frequencies", (("table", table.name),)) for locus in sorted(missing)
    ]
    return result


def _header(
    header: list[str], required: Iterable[str], result: LabFile
) -> tuple[dict[str, int], list[int]]:
    roles: dict[str, int] = {}
    others: list[int] = []
    for i, cell in enumerate(header):
        role = _role_of(cell)
        if role is None:
            others.append(i)
        elif role in roles:
            result.add_error(error(1, "column_twice", column=cell.strip()))
        else:
            roles[role] = i
    for role in required:
        if role not in roles:
            result.add_error(error(1, "missing_column", column=role))
    return roles, others


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _sample_for(
    samples: dict[str, LabSample],
    result: LabFile,
    number: int,
    ref: str,
    kind_text: str,
    couple: str,
    relation_text: str = "",
) -> LabSample | None:
    """The sample a row belongs to (created on its first row), or None after an error."""
    why = check_ref(ref)
    if why:
        # The rejected text is not repeated: it may be a name or an ID number (C9).
        result.add_error(error(number, why))
        return None
    kind = check_kind(kind_text)
    if kind is None:
        result.add_error(error(number, "unknown_kind", sample=ref))
        return None
    couple_label = couple or None
    if couple_label is not None and check_ref(couple_label):
        result.add_error(error(number, "bad_couple", sample=ref))
        return None
    relation, problem = relation_problem(kind, relation_text)
    if problem is not None:
        result.add_error(error(number, problem, sample=ref))
        return None
    sample = samples.get(ref)
    if sample is None:
        sample = samples[ref] = LabSample(
            ref=ref, kind=kind, couple=couple_label, row=number, relation=relation
        )
    elif sample.kind != kind or sample.couple != couple_label or sample.relation != relation:
        result.add_error(error(number, "inconsistent_sample", sample=ref))
        return None
    return sample


def _read_long(rows: list[list[str]], table: FrequencyTable, result: LabFile) -> None:
    roles, _ = _header(rows[0], ("sample", "kind", "locus"), result)
    if "genotype" not in roles and "allele1" not in roles:
        result.add_error(error(1, "missing_alleles"))
    if result.errors:
        return
    samples: dict[str, LabSample] = {}
    for number, row in enumerate(rows[1:], start=2):
        sample = _sample_for(
            samples,
            result,
            number,
            _cell(row, roles["sample"]),
            _cell(row, roles["kind"]),
            _cell(row, roles.get("couple")),
            _cell(row, roles.get("relation")),
        )
        if sample is None:
            continue
        locus, problem = check_locus(_cell(row, roles["locus"]), table, number, sample.ref)
        if problem is not None:
            result.add_error(problem)
            continue
        if locus in IGNORED_LOCI:
            continue
        if "genotype" in roles:
            value: object = _cell(row, roles["genotype"])
        else:
            alleles = [_cell(row, roles["allele1"]), _cell(row, roles.get("allele2"))]
            value = [a for a in alleles if a] or ""
        _put(sample, locus, value, number, result)
    result.samples = list(samples.values())


def _put(sample: LabSample, locus: str, value: object, number: int, result: LabFile) -> None:
    if locus in sample.genotypes:
        result.add_error(error(number, "typed_twice", sample=sample.ref, locus=locus))
        return
    try:
        sample.genotypes[locus] = parse_genotype(locus, value)
    except KinshipError:
        # Where, not what: a malformed value is never echoed (it may be anything, C9).
        result.add_error(error(number, "malformed", sample=sample.ref, locus=locus))


def _wide_columns(
    header: list[str], others: list[int], table: FrequencyTable, result: LabFile
) -> dict[str, list[int]]:
    """Locus → its one genotype column or its two allele columns."""
    columns: dict[str, list[int]] = {}
    for i in others:
        raw = header[i].strip()
        pair = _PAIR.match(raw)
        name = pair.group(1) if pair else raw
        locus, problem = check_locus(name, table, 1)
        if problem is not None:
            result.add_error(problem)
            continue
        if locus in IGNORED_LOCI:
            continue
        columns.setdefault(locus, []).append(i)
    for locus, found in columns.items():
        if len(found) > 2:
            result.add_error(error(1, "too_many_columns", locus=locus))
    return columns


def _read_wide(rows: list[list[str]], table: FrequencyTable, result: LabFile) -> None:
    header = rows[0]
    roles, others = _header(header, ("sample", "kind"), result)
    columns = _wide_columns(header, others, table, result)
    if result.errors:
        return
    samples: dict[str, LabSample] = {}
    for number, row in enumerate(rows[1:], start=2):
        ref = _cell(row, roles["sample"])
        if ref in samples:
            result.add_error(error(number, "duplicate_sample", sample=ref))
            continue
        sample = _sample_for(
            samples,
            result,
            number,
            ref,
            _cell(row, roles["kind"]),
            _cell(row, roles.get("couple")),
            _cell(row, roles.get("relation")),
        )
        if sample is None:
            continue
        for locus, found in columns.items():
            cells = [_cell(row, i) for i in found]
            present = [c for c in cells if c]
            if not present:
                continue  # not typed
            value: object = present[0] if len(found) == 1 else present
            _put(sample, locus, value, number, result)
    result.samples = list(samples.values())


def _check_samples(result: LabFile, table: FrequencyTable, min_loci: int) -> None:
    if len(result.samples) > MAX_SAMPLES:
        result.add_error(
            error(None, "too_many_samples", count=len(result.samples), limit=MAX_SAMPLES)
        )
    couples: dict[str, list[LabSample]] = {}
    for sample in result.samples:
        # Only loci with frequencies can be searched, so only they count.
        usable = sum(1 for locus in sample.genotypes if table.has_locus(locus))
        if usable < min_loci:
            result.add_error(
                error(sample.row, "too_few_loci", sample=sample.ref, count=usable, minimum=min_loci)
            )
        if sample.couple is not None:
            couples.setdefault(sample.couple, []).append(sample)
    for label, members in couples.items():
        kinds = sorted(m.kind for m in members)
        if kinds != sorted(PARENT_KINDS):
            result.add_error(
                error(members[0].row, "couple_members", sample=members[0].ref, label=label)
            )
