"""Rule closed_loop: responses to synthetic stimuli by step along the preferred and orthogonal axes."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import closed_loop_ramps
from vtc_imagery.runner import run_rule


def main(smk):
    table = closed_loop_ramps(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.responses),
                              read_object_space(smk.input.object_space), smk.params.min_axis_cosine)
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    targeted = table[table.targeted].unit_id.nunique() if len(table) else 0
    print(f"{table.unit_id.nunique() if len(table) else 0} axis-tuned units saw synthetic stimuli; {targeted} targeted")


run_rule(snakemake, main)
