"""Re-estimate the built-in model: ``python -m fanguai.linkage._default``.

The built-in model (``data/default_model.json``) serves where the records at hand are too few
to estimate from (one found child against the register, tests, a county's first records). It
is estimated, like any other, from synthetic records of ``fanguai.linkage.synth``; run this
after a change of the comparisons, of the generator or of ``LINKAGE_VERSION``.
"""

from __future__ import annotations

import logging
import sys
from importlib.resources import files
from pathlib import Path

from fanguai.linkage import synth
from fanguai.linkage._engine import estimate_model

N_MISSING = 20_000
N_FOUND = 20_000
SEED = 2021


def build() -> str:
    """The JSON of the model estimated on the seeded synthetic records."""
    data = synth.generate(n_missing=N_MISSING, n_found=N_FOUND, seed=SEED)
    model = estimate_model(data.missing, data.found, seed=SEED)
    training = {**model.training, "data": f"fanguai.linkage.synth seed {SEED}"}
    return type(model)(
        model.probability_two_random_records_match, model.fields, model.version, training
    ).to_json()


def main() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)
    path = Path(str(files("fanguai.linkage").joinpath("data", "default_model.json")))
    path.write_text(build(), encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
