"""Rule model_comparison: normalised EV of the axis, category and exemplar models and their tests."""

import pandas as pd

from vtc_imagery.availability import model_comparison_unavailable
from vtc_imagery.io import not_available, write_tsv_atomic
from vtc_imagery.perception import model_comparison
from vtc_imagery.runner import run_rule


def main(smk):
    units = pd.read_parquet(smk.input.units)
    reason = model_comparison_unavailable(units)
    table = not_available(reason) if reason else model_comparison(units)
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_string(index=False))


run_rule(snakemake, main)
