"""Rule population: the cohort unit table and the responses of responsive units."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    recorded = pd.read_parquet(smk.input.recorded)
    screening = pd.concat([pd.read_parquet(p) for p in smk.input.screening], ignore_index=True)
    axis = pd.concat([pd.read_parquet(p) for p in smk.input.axis], ignore_index=True)
    units = recorded.merge(screening, on="unit_id", how="left", validate="one_to_one")
    units = units.merge(axis, on="unit_id", how="left", validate="one_to_one")
    units["axis_tuned"] = units.axis_tuned.astype("boolean").fillna(False).astype(bool)
    responses = pd.concat([pd.read_parquet(p) for p in smk.input.responses], ignore_index=True)
    write_parquet_atomic(units, smk.output.units)
    write_parquet_atomic(responses.sort_values(["unit_id", "stim_phase", "stim_id"]), smk.output.responses)
    print(f"{len(units)} units, {int(units.axis_tuned.sum())} axis-tuned")


run_rule(snakemake, main)  # noqa: F821
