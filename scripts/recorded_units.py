"""Rule recorded_units: stack the per-session unit tables into one cohort table."""
import sys

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    units = pd.concat([pd.read_parquet(p) for p in smk.input], ignore_index=True)
    units = units.sort_values(["session", "unit_index"], kind="stable").reset_index(drop=True)
    write_parquet_atomic(units, smk.output[0])
    print(f"{len(units)} units from {len(smk.input)} sessions", file=sys.stderr)


run_rule(snakemake, main)  # noqa: F821
