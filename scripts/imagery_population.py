"""Rule imagery_population: imagery tables of the cohort, and whether imagery follows the visual code
(explicit "not available" results for a cohort without imagery or without axis-tuned VTC units in it)."""

import pandas as pd

from vtc_imagery.imagery import VisualCodeParams, follows_visual_code, imagery_availability, population_tables
from vtc_imagery.io import not_available, write_parquet_atomic, write_tsv_atomic
from vtc_imagery.runner import run_rule


def stack(paths, read=pd.read_parquet) -> pd.DataFrame:
    """The sessions' tables one under the other; none (no session with imagery trials) is empty."""
    return pd.concat([read(p) for p in paths], ignore_index=True) if len(paths) else pd.DataFrame()


def main(smk):
    table, objects = population_tables(pd.read_parquet(smk.input.units), stack(smk.input.imagery_units),
                                       stack(smk.input.imagery_objects))
    write_parquet_atomic(table, smk.output.units)
    write_parquet_atomic(objects, smk.output.objects)
    reason = imagery_availability(table)
    decoding = stack(smk.input.decoding, lambda p: pd.read_csv(p, sep="\t"))
    if decoding.empty:
        decoding = not_available(reason or "no imagery session has 2 or more decoding units (imagery.decoding_units)")
    write_tsv_atomic(decoding, smk.output.decoding, simulated=smk.params.simulated)
    follows = (not_available(reason) if reason else
               follows_visual_code(table, VisualCodeParams.from_config(smk.params.imagery)))
    write_tsv_atomic(follows, smk.output.follows, simulated=smk.params.simulated)
    print(follows.to_string(index=False))


run_rule(snakemake, main)
