"""Rule validate_perception: SIMULATED data only; calls and axes against the planted truth."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.runner import run_rule
from vtc_imagery.validation import perception_validation


def main(smk):
    table = perception_validation(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.truth))
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_string(index=False))


run_rule(snakemake, main)
