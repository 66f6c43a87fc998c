"""Demo DNA store: parents of missing children and children of unknown origin, from a seed.

Families are planted: some parents registered as couples, some alone, one child carrying a
one-step mutation. Lab numbers are shuffled so that nothing but DNA ties a child to its
parents (in the demo story some children were renamed). Unrelated people on both sides make
the searches honest. The data goes through the real import path, as two lab files: the
parents in the long CSV form, then the children in the wide form, so that each child is
searched against the parents at import. Two more missing children have no parent in the store,
only another relative: one a full sibling, one a paternal grandfather (drawn with their own seed
so the families above stay as they were); two unrelated relatives are stored beside them.
``DEMO_TRUTH`` gives the planted families by lab number, for tests and for the identification
module's demo.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.demo import DemoReport, register
from fanguai.dna.index import store_table
from fanguai.dna.models import Specimen

SEED = 20_261_128
DEMO_KIT = "Goldeneye DNA ID 22NC"
DEMO_LAB = "苏州市公安局物证鉴定所DNA实验室"
#: The 20 CODIS core loci and the two Penta loci (all in the built-in frequency table).
DEMO_LOCI = (
    "CSF1PO", "D10S1248", "D12S391", "D13S317", "D16S539", "D18S51", "D19S433", "D1S1656",
    "D21S11", "D22S1045", "D2S1338", "D2S441", "D3S1358", "D5S818", "D7S820", "D8S1179",
    "FGA", "Penta D", "Penta E", "TH01", "TPOX", "vWA",
)  # fmt: skip
COUPLES = 12
FATHERS_ALONE = 2
MOTHERS_ALONE = 2
UNRELATED_PARENTS = 10
UNRELATED_UNKNOWN = 20
MUTATED_FAMILY = 3  # this couple's child carries a one-step paternal mutation
#: Missing children whose only reference is another relative (relation → how many).
RELATIVE_FAMILIES = ("full-siblings", "grandparent")
UNRELATED_RELATIVES = ("full-siblings", "avuncular")
RELATIVES_SEED = SEED + 1

Genotype = tuple[str, str]


@dataclass(frozen=True)
class DemoFamily:
    """A planted family by lab number: the child and the parent(s) the store should find."""

    child: str
    father: str | None
    mother: str | None
    couple: bool
    child_kind: str
    relative: str | None = None  # the only reference: another relative's lab number
    relation: str | None = None  # its relation to the child (full-siblings, grandparent)


@dataclass(frozen=True)
class DemoSample:
    ref: str
    kind: str
    couple: str | None
    genotypes: dict[str, Genotype]
    relation: str | None = None


class _Draw:
    """Genotypes drawn from the store's frequency table with a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        table = store_table()
        self.alleles = {x: list(table.locus_frequencies(x).items()) for x in DEMO_LOCI}

    def allele(self, locus: str) -> str:
        alleles, weights = zip(*self.alleles[locus], strict=True)
        return self.rng.choices(alleles, weights=weights)[0]

    def person(self) -> dict[str, Genotype]:
        return {x: _sorted((self.allele(x), self.allele(x))) for x in DEMO_LOCI}

    def child(
        self, father: dict[str, Genotype] | None, mother: dict[str, Genotype] | None
    ) -> dict[str, Genotype]:
        out = {}
        for x in DEMO_LOCI:
            paternal = self.rng.choice(father[x]) if father else self.allele(x)
            maternal = self.rng.choice(mother[x]) if mother else self.allele(x)
            out[x] = _sorted((paternal, maternal))
        return out


def _sorted(pair: tuple[str, str]) -> Genotype:
    return tuple(sorted(pair, key=float))  # type: ignore[return-value]


def _mutate(child: dict[str, Genotype], father: dict[str, Genotype]) -> None:
    """Replace one paternal allele by its one-step neighbour that neither parent carries."""
    for locus in ("D21S11", "FGA", "vWA", "D18S51"):
        a, b = child[locus]
        shifted = str(float(a) + 1).removesuffix(".0")
        if shifted not in father[locus] and a in father[locus]:
            child[locus] = _sorted((shifted, b))
            return


@cache
def demo_samples() -> tuple[tuple[DemoSample, ...], tuple[DemoSample, ...], tuple[DemoFamily, ...]]:
    """(reference side, unknown side, planted families), the same for every run."""
    rng = random.Random(SEED)  # noqa: S311 - seeded demo data, not a secret
    draw = _Draw(rng)
    fathers = [draw.person() for _ in range(COUPLES + FATHERS_ALONE)]
    mothers = [draw.person() for _ in range(COUPLES + MOTHERS_ALONE)]
    children = []
    for i in range(COUPLES):
        child = draw.child(fathers[i], mothers[i])
        if i == MUTATED_FAMILY:
            _mutate(child, fathers[i])
        children.append((child, i, i))
    for i in range(FATHERS_ALONE):
        children.append((draw.child(fathers[COUPLES + i], None), COUPLES + i, None))
    for i in range(MOTHERS_ALONE):
        children.append((draw.child(None, mothers[COUPLES + i]), None, COUPLES + i))
    # Lab numbers in shuffled order: numbering says nothing about who belongs with whom.
    father_refs = _refs(rng, "SZF", len(fathers) + UNRELATED_PARENTS // 2)
    mother_refs = _refs(rng, "SZM", len(mothers) + UNRELATED_PARENTS - UNRELATED_PARENTS // 2)
    child_refs = _refs(rng, "SZU", len(children) + UNRELATED_UNKNOWN)
    reference = [
        DemoSample(father_refs[i], "father", f"C{i + 1:02d}" if i < COUPLES else None, g)
        for i, g in enumerate(fathers)
    ] + [
        DemoSample(mother_refs[i], "mother", f"C{i + 1:02d}" if i < COUPLES else None, g)
        for i, g in enumerate(mothers)
    ]
    for i in range(UNRELATED_PARENTS // 2):
        reference.append(DemoSample(father_refs[len(fathers) + i], "father", None, draw.person()))
    for i in range(UNRELATED_PARENTS - UNRELATED_PARENTS // 2):
        reference.append(DemoSample(mother_refs[len(mothers) + i], "mother", None, draw.person()))
    unknown, truth = [], []
    for n, (genotypes, f, m) in enumerate(children):
        kind = "rescued_victim" if n % 5 == 4 else "unknown_child"
        unknown.append(DemoSample(child_refs[n], kind, None, genotypes))
        truth.append(
            DemoFamily(
                child=child_refs[n],
                father=father_refs[f] if f is not None else None,
                mother=mother_refs[m] if m is not None else None,
                couple=f is not None and m is not None,
                child_kind=kind,
            )
        )
    noise_kinds = ("unknown_child", "rescued_victim", "unidentified")
    for i in range(UNRELATED_UNKNOWN):
        ref = child_refs[len(children) + i]
        unknown.append(DemoSample(ref, noise_kinds[i % 3], None, draw.person()))
    rng.shuffle(reference)
    rng.shuffle(unknown)
    _plant_relatives(reference, unknown, truth)
    return tuple(reference), tuple(unknown), tuple(truth)


def _plant_relatives(
    reference: list[DemoSample], unknown: list[DemoSample], truth: list[DemoFamily]
) -> None:
    """Children whose only reference is a full sibling or a paternal grandfather."""
    rng = random.Random(RELATIVES_SEED)  # noqa: S311 - seeded demo data, not a secret
    draw = _Draw(rng)
    relative_refs = _refs(rng, "SZR", len(RELATIVE_FAMILIES) + len(UNRELATED_RELATIVES))
    # numbered above every other child's lab number (those stay below 10 × their count)
    child_refs = [f"SZU-2026-{x:04d}" for x in rng.sample(range(5000, 9999), 2)]

    def insert(samples: list[DemoSample], sample: DemoSample) -> None:
        samples.insert(rng.randrange(len(samples) + 1), sample)

    for n, relation in enumerate(RELATIVE_FAMILIES):
        if relation == "full-siblings":
            father, mother = draw.person(), draw.person()
            relative = draw.child(father, mother)
            child = draw.child(father, mother)
        else:  # grandparent: the child's father's father
            relative = draw.person()
            father = draw.child(relative, draw.person())
            child = draw.child(father, draw.person())
        insert(reference, DemoSample(relative_refs[n], "relative", None, relative, relation))
        insert(unknown, DemoSample(child_refs[n], "unknown_child", None, child))
        truth.append(
            DemoFamily(
                child=child_refs[n],
                father=None,
                mother=None,
                couple=False,
                child_kind="unknown_child",
                relative=relative_refs[n],
                relation=relation,
            )
        )
    for i, relation in enumerate(UNRELATED_RELATIVES):
        ref = relative_refs[len(RELATIVE_FAMILIES) + i]
        insert(reference, DemoSample(ref, "relative", None, draw.person(), relation))


def _refs(rng: random.Random, prefix: str, n: int) -> list[str]:
    numbers = rng.sample(range(1, 10 * n + 1), n)
    return [f"{prefix}-2026-{x:04d}" for x in numbers]


def long_csv(samples: tuple[DemoSample, ...]) -> str:
    """The reference side as a long-form lab file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sample", "kind", "couple", "relation", "locus", "allele1", "allele2"])
    for s in samples:
        for locus in DEMO_LOCI:
            a, b = s.genotypes[locus]
            writer.writerow([s.ref, s.kind, s.couple or "", s.relation or "", locus, a, b])
    return out.getvalue()


def wide_csv(samples: tuple[DemoSample, ...]) -> str:
    """The unknown side as a wide-form lab file (genotype ``a/b`` per locus column)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sample", "kind", *DEMO_LOCI])
    for s in samples:
        writer.writerow([s.ref, s.kind, *("/".join(s.genotypes[x]) for x in DEMO_LOCI)])
    return out.getvalue()


#: The planted families (by lab number), built from the seed.
DEMO_TRUTH: tuple[DemoFamily, ...] = demo_samples()[2]


@register("dna.demo", order=60)
def load_dna(session: Session, actor: Actor, report: DemoReport) -> None:
    """Import the demo lab files through the real import path (once)."""
    from fanguai.dna.service import import_lab_file
    from fanguai.org.demo import Persona, ensure_personas
    from fanguai.org.models import User
    from fanguai.security.service import actor_for_user

    ensure_personas(
        session,
        actor,
        report,
        (
            Persona(
                "suzhou.labchief",
                "沈立",
                "320500-GA",
                ("supervisor",),
                "苏州市公安局物证鉴定所负责人（审批DNA身份揭示）",
            ),
        ),
        key="dna.personas",
    )
    if session.execute(select(func.count()).select_from(Specimen)).scalar_one():
        report.added["dna.specimens"] = 0
        return
    user = session.execute(select(User).where(User.username == "suzhou.dna")).scalar_one()
    analyst = actor_for_user(user)
    session.rollback()
    reference, unknown, _ = demo_samples()
    first = import_lab_file(
        session, actor=analyst, text=long_csv(reference), layout="long", kit=DEMO_KIT, lab=DEMO_LAB
    )
    second = import_lab_file(
        session, actor=analyst, text=wide_csv(unknown), layout="wide", kit=DEMO_KIT, lab=DEMO_LAB
    )
    report.added["dna.specimens"] = len(first.specimens) + len(second.specimens)
