"""Rule model_comparison: normalised EV of the axis, category and exemplar models and their tests."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.perception import model_comparison
from vtc_imagery.runner import run_rule


def main(smk):
    table = model_comparison(pd.read_parquet(smk.input.units))
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_string(index=False))


run_rule(snakemake, main)
