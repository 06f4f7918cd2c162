"""Rule selection_funnel: units left at each criterion beside the paper's numbers."""

import pandas as pd

from vtc_imagery.perception import selection_funnel
from vtc_imagery.runner import run_rule


def main(smk):
    funnel = selection_funnel(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery))
    funnel.to_csv(smk.output[0], sep="\t", index=False, float_format="%.4g")
    print(funnel.to_string(index=False))


run_rule(snakemake, main)  # noqa: F821
