"""Rule imagery_units: imagery responses, reactivation and the imagery-vision relation of a session."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    i = smk.input
    trials = pd.read_parquet(i.trials)
    if not (trials.stim_phase == "imagery").any():
        # The empty tables imagery_session gives such a session, written without reading the spikes or
        # importing the statistics, which cost about a second per session (and most have no imagery).
        for path in (smk.output.units, smk.output.objects, smk.output.cues):
            write_parquet_atomic(pd.DataFrame(), path)
        print(f"{smk.wildcards.session}: 0 units in imagery, 0 reactivated")
        return
    from vtc_imagery import axis as ax
    from vtc_imagery.imagery import ImageryParams, SessionTables, imagery_session
    from vtc_imagery.objects import read_object_space
    from vtc_imagery.reactivation import ReactivationParams

    objects = read_object_space(i.object_space)
    features = pd.DataFrame(ax.scale_features(objects.features), index=objects.stim_id)
    tables = ("units", "trials", "spikes", "screening", "responses", "axis")
    session = SessionTables(*(trials if k == "trials" else pd.read_parquet(getattr(i, k)) for k in tables))
    result = imagery_session(session, features, ReactivationParams.from_config(smk.params.reactivation),
                             ImageryParams.from_config(smk.params.imagery))
    write_parquet_atomic(result.units, smk.output.units)
    write_parquet_atomic(result.objects, smk.output.objects)
    write_parquet_atomic(result.cues, smk.output.cues)
    n = int(result.units.reactivated.sum()) if len(result.units) else 0
    print(f"{smk.wildcards.session}: {len(result.units)} units in imagery, {n} reactivated")


run_rule(snakemake, main)
