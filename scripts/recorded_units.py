"""Rule recorded_units: stack the per-session unit tables into one cohort table."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # noqa: F821 (snakemake is injected)
import pandas as pd  # noqa: E402

from vtc_imagery.io import write_parquet_atomic  # noqa: E402
from vtc_imagery.runner import run_rule  # noqa: E402


def main(smk):
    units = pd.concat([pd.read_parquet(p) for p in smk.input], ignore_index=True)
    units = units.sort_values(["session", "unit_index"], kind="stable").reset_index(drop=True)
    write_parquet_atomic(units, smk.output[0])
    print(f"{len(units)} units from {len(smk.input)} sessions", file=sys.stderr)


run_rule(snakemake, main)  # noqa: F821
