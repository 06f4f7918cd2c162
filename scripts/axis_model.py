"""Rule axis_model: the axis model and axis-tuning test of a session's responsive units."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import AxisParams, axis_model_session
from vtc_imagery.runner import run_rule


def main(smk):
    objects = read_object_space(smk.input.object_space)
    table = axis_model_session(pd.read_parquet(smk.input.responses), pd.read_parquet(smk.input.counts), objects,
                               AxisParams.from_config(smk.params.axis), smk.wildcards.session,
                               workers=smk.threads)
    write_parquet_atomic(table, smk.output[0])
    tuned = int(table.axis_tuned.sum()) if len(table) else 0
    print(f"{smk.wildcards.session}: {tuned} of {len(table)} responsive units axis-tuned")


run_rule(snakemake, main)
