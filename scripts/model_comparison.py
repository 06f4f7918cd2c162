"""Rule model_comparison: normalised EV of the axis, category and exemplar models and their tests."""

import pandas as pd

from vtc_imagery.perception import model_comparison
from vtc_imagery.runner import run_rule


def main(smk):
    table = model_comparison(pd.read_parquet(smk.input.units))
    table.to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")
    print(table.to_string(index=False))


run_rule(snakemake, main)  # noqa: F821
