"""Rule population: the cohort unit table and the responses of responsive units."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.perception import unit_table
from vtc_imagery.runner import run_rule


def stack(paths) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


def main(smk):
    units = unit_table(pd.read_parquet(smk.input.recorded), stack(smk.input.screening), stack(smk.input.axis))
    responses = stack(smk.input.responses)
    write_parquet_atomic(units, smk.output.units)
    write_parquet_atomic(responses.sort_values(["unit_id", "stim_phase", "stim_id"]), smk.output.responses)
    print(f"{len(units)} units, {int(units.axis_tuned.sum())} axis-tuned")


run_rule(snakemake, main)
