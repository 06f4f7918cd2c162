"""Rule reconstruction: nearest database object to each decoded feature vector, normalised distance."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # noqa: F821 (snakemake is injected)
import pandas as pd  # noqa: E402

from vtc_imagery.io import write_parquet_atomic  # noqa: E402
from vtc_imagery.objects import read_object_space  # noqa: E402
from vtc_imagery.perception import reconstruction_table  # noqa: E402
from vtc_imagery.runner import run_rule  # noqa: E402


def main(smk):
    table = reconstruction_table(pd.read_parquet(smk.input.decoded), read_object_space(smk.input.object_space),
                                 smk.params.min_distance)
    write_parquet_atomic(table, smk.output[0])
    print(f"median normalised distance {table.normalised_distance.median():.3f} over {len(table)} objects; "
          f"database of {table.database_size.iloc[0]} after pruning")


run_rule(snakemake, main)  # noqa: F821
