"""Rule claims: the claims scoreboard from the run's tables."""

import pandas as pd

from vtc_imagery.claims import claims_table
from vtc_imagery.io import not_available, write_tsv_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    tables = {"m1": not_available("this config has no model M1")}
    for name, paths in smk.input.items():
        for path in [paths] if isinstance(paths, str) else paths:  # m1: a list of one, or none
            tables[name] = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, sep="\t")
    table = claims_table(tables, smk.params.simulated)
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.drop(columns=["note"]).to_string(index=False))


run_rule(snakemake, main)
