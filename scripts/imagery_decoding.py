"""Rule imagery_decoding: decode a session's imagined objects within imagery and from viewing, with
permutation tests that keep the recall trials (pairings) together."""

import pandas as pd

from vtc_imagery.imagery_decoding import ImageryDecodingParams, session_decoding_table
from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import unit_table
from vtc_imagery.runner import run_rule


def main(smk):
    i = smk.input
    units = unit_table(pd.read_parquet(i.units), pd.read_parquet(i.screening), pd.read_parquet(i.axis))
    objects = read_object_space(i.object_space)
    table = session_decoding_table(smk.wildcards.session, units, pd.read_parquet(i.cues), pd.read_parquet(i.counts),
                                   pd.read_parquet(i.trials),
                                   pd.DataFrame(objects.features, index=objects.stim_id),
                                   ImageryDecodingParams.from_config(smk.params.imagery))
    write_tsv_atomic(table, smk.output[0], simulated=smk.params.simulated)
    print(table.to_dict("records") or "no imagery trials or fewer than 2 units")


run_rule(snakemake, main)
