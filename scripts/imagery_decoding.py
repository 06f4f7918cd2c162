"""Rule imagery_decoding: decode a session's imagined objects within imagery and from viewing."""

import pandas as pd

from vtc_imagery.imagery import decoding_session
from vtc_imagery.objects import read_object_space
from vtc_imagery.runner import run_rule


def main(smk):
    cues = pd.read_parquet(smk.input.cues)
    columns = ["session", "n_units", "n_objects", "n_trials", "chance", "within_accuracy", "within_sd",
               "shuffled_accuracy", "across_accuracy", "feature_identification"]
    rows = []
    if len(cues):
        units = pd.read_parquet(smk.input.units)
        screening = pd.read_parquet(smk.input.screening).set_index("unit_id")
        axis = pd.read_parquet(smk.input.axis)
        vtc = units.unit_id[units.area == "VTC"]
        if smk.params.units == "axis_tuned":
            chosen = axis.unit_id[axis.axis_tuned & axis.unit_id.isin(vtc)] if len(axis) else []
        else:
            chosen = screening.index[screening.responsive & screening.index.isin(vtc)]
        chosen = sorted(set(chosen) & set(cues.unit_id))
        if len(chosen) >= 2:
            objects = read_object_space(smk.input.object_space)
            result = decoding_session(cues, pd.read_parquet(smk.input.counts), chosen,
                                      float(screening.stim_duration_ms.iloc[0]), smk.params.seed, smk.params.repeats,
                                      pd.DataFrame(objects.features, index=objects.stim_id))
            rows.append(dict(session=smk.wildcards.session, **result))
    pd.DataFrame(rows, columns=columns).to_csv(smk.output[0], sep="\t", index=False, float_format="%.6g")
    print(rows or "no imagery trials or fewer than 2 units")


run_rule(snakemake, main)  # noqa: F821
