"""Rule imagery_units: imagery responses, reactivation and the imagery-vision relation of a session."""

import pandas as pd

from vtc_imagery import axis as ax
from vtc_imagery.imagery import ReactivationParams, imagery_session
from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.runner import run_rule


def main(smk):
    i = smk.input
    objects = read_object_space(i.object_space)
    features = pd.DataFrame(ax.scale_features(objects.features), index=objects.stim_id)
    tables = imagery_session(pd.read_parquet(i.units), pd.read_parquet(i.trials), pd.read_parquet(i.spikes),
                             pd.read_parquet(i.screening), pd.read_parquet(i.responses), pd.read_parquet(i.axis),
                             features, ReactivationParams.from_config(smk.params.reactivation),
                             smk.params.n_shuffles, smk.params.seed)
    write_parquet_atomic(tables.units, smk.output.units)
    write_parquet_atomic(tables.objects, smk.output.objects)
    write_parquet_atomic(tables.cues, smk.output.cues)
    n = int(tables.units.reactivated.sum()) if len(tables.units) else 0
    print(f"{smk.wildcards.session}: {len(tables.units)} units in imagery, {n} reactivated")


run_rule(snakemake, main)  # noqa: F821
