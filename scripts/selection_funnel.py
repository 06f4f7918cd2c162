"""Rule selection_funnel: units left at each criterion beside the paper's numbers."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.perception import selection_funnel
from vtc_imagery.runner import run_rule


def main(smk):
    funnel = selection_funnel(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery))
    write_tsv_atomic(funnel, smk.output[0], simulated=smk.params.simulated)
    print(funnel.to_string(index=False))


run_rule(snakemake, main)
