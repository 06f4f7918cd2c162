"""Rule closed_loop: responses to synthetic stimuli by step along the preferred and orthogonal axes."""

import pandas as pd

from vtc_imagery.availability import closed_loop_unavailable
from vtc_imagery.io import not_available, write_tsv_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import closed_loop_ramps
from vtc_imagery.runner import run_rule


def main(smk):
    objects, responses = read_object_space(smk.input.object_space), pd.read_parquet(smk.input.responses)
    table = closed_loop_ramps(pd.read_parquet(smk.input.units), responses, objects, smk.params.min_axis_cosine)
    reason = closed_loop_unavailable(responses, objects.synthetic, table)
    write_tsv_atomic(not_available(reason) if reason else table, smk.output[0], simulated=smk.params.simulated)
    if reason:
        print(f"not available on this input: {reason}")
        return
    print(f"{table.unit_id.nunique()} axis-tuned units saw synthetic stimuli; "
          f"{table[table.targeted].unit_id.nunique()} targeted")


run_rule(snakemake, main)
