"""Rule recorded_units: stack the per-session unit tables into one cohort table."""
import sys

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule
from vtc_imagery.tables import cohort_units


def main(smk):
    units = cohort_units([pd.read_parquet(p) for p in smk.input])
    write_parquet_atomic(units, smk.output[0])
    print(f"{len(units)} units from {len(smk.input)} sessions", file=sys.stderr)


run_rule(snakemake, main)
