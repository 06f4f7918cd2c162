"""Rule imagery_population: imagery tables of the cohort, and whether imagery follows the visual code."""

import pandas as pd

from vtc_imagery.imagery import follows_visual_code, population_tables
from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    stack = lambda paths: pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)  # noqa: E731
    table, objects = population_tables(pd.read_parquet(smk.input.units), stack(smk.input.imagery_units),
                                       stack(smk.input.imagery_objects))
    write_parquet_atomic(table, smk.output.units)
    write_parquet_atomic(objects, smk.output.objects)
    decoding = pd.concat([pd.read_csv(p, sep="\t") for p in smk.input.decoding], ignore_index=True)
    decoding.to_csv(smk.output.decoding, sep="\t", index=False, float_format="%.6g")
    follows = follows_visual_code(table)
    follows.to_csv(smk.output.follows, sep="\t", index=False, float_format="%.6g")
    print(follows.to_string(index=False))


run_rule(snakemake, main)  # noqa: F821
