"""Rule validate_imagery: SIMULATED data only; reactivation calls and M1 against the planted truth."""

import json

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.runner import run_rule
from vtc_imagery.validation import imagery_validation


def main(smk):
    with open(smk.input.m1_record) as fh:
        m1 = json.load(fh)
    table = imagery_validation(pd.read_parquet(smk.input.imagery), pd.read_parquet(smk.input.truth), m1,
                               pd.read_csv(smk.input.m1, sep="\t"))
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_string(index=False))


run_rule(snakemake, main)
