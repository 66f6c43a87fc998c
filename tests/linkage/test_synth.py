"""The generator: reproducible, valid, and as noisy as configured."""

from __future__ import annotations

from fanguai.linkage import synth, validate_records
from fanguai.linkage._names import name_keys

from .conftest import TODAY


def test_the_same_seed_gives_the_same_records():
    a = synth.generate(n_missing=200, n_found=150, seed=5)
    b = synth.generate(n_missing=200, n_found=150, seed=5)
    c = synth.generate(n_missing=200, n_found=150, seed=6)
    assert a == b
    assert a.found != c.found


def test_every_record_is_valid():
    data = synth.generate(n_missing=2000, n_found=2000, seed=9)
    assert len(validate_records(data.missing, source="missing", today=TODAY)) == 2000
    assert len(validate_records(data.found, source="found", today=TODAY)) == 2000


def test_shares_follow_the_noise_settings():
    data = synth.generate(n_missing=6000, n_found=5000, seed=4, match_share=0.4)
    assert len(data.pairs) == 2000
    statuses = list(data.pairs.values())
    noise = synth.Noise()
    assert abs(statuses.count(synth.NAMELESS) / 2000 - noise.nameless) < 0.03
    assert abs(statuses.count(synth.RENAMED) / 2000 - noise.renamed) < 0.03
    missing = {r.id: r for r in data.missing}
    found = {r.id: r for r in data.found}
    kept = [(missing[m], found[f]) for m, f in data.pairs_where(synth.KEPT)]
    same_name = sum(a.name == b.name for a, b in kept) / len(kept)
    same_pinyin = sum(name_keys(a.name).pinyin == name_keys(b.name).pinyin for a, b in kept) / len(
        kept
    )
    assert 0.65 < same_name < 0.8
    assert same_pinyin > same_name + 0.1  # homophones and variant characters
    off_year = sum(
        b.birth_date[:4].isdigit() and abs(int(b.birth_date[:4]) - int(a.birth_date[:4])) in (1, 2)
        for a, b in kept
        if a.birth_date
    ) / len(kept)
    assert abs(off_year - noise.birth_year_off_one - noise.birth_year_off_two) < 0.04
