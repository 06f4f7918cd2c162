"""Rule reconstruction: nearest database object to each decoded feature vector, normalised distance."""

import pandas as pd

from vtc_imagery.io import unavailable_reason, write_parquet_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import reconstruction_table
from vtc_imagery.runner import run_rule


def main(smk):
    decoded = pd.read_parquet(smk.input.decoded)
    if unavailable_reason(decoded):  # no decoding on this input: nothing to reconstruct, for the same reason
        write_parquet_atomic(decoded, smk.output[0])
        print(f"not available on this input: {unavailable_reason(decoded)}")
        return
    table = reconstruction_table(decoded, read_object_space(smk.input.object_space), smk.params.min_distance)
    write_parquet_atomic(table, smk.output[0])
    print(f"median normalised distance {table.normalised_distance.median():.3f} over {len(table)} objects; "
          f"database of {table.database_size.iloc[0]} after pruning")


run_rule(snakemake, main)
