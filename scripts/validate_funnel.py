"""Rule validate_funnel: SIMULATED data only; the selection funnel planted vs recovered."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.runner import run_rule
from vtc_imagery.validation import funnel_against_truth


def main(smk):
    table = funnel_against_truth(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery),
                                 pd.read_parquet(smk.input.truth))
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_string(index=False))


run_rule(snakemake, main)
