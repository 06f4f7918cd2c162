"""Rule robustness_session: a session's axis model of the units only another responsiveness rule calls
responsive, and its units' poisson_burst calls under the swept burst parameters."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import AxisParams
from vtc_imagery.reactivation import ReactivationParams
from vtc_imagery.robustness import burst_variant_calls, other_rules_axis_model
from vtc_imagery.runner import run_rule
from vtc_imagery.screening import ScreeningParams


def main(smk):
    units, trials, spikes, screening = (pd.read_parquet(smk.input[k]) for k in ("units", "trials", "spikes",
                                                                               "screening"))
    axis = other_rules_axis_model(units, trials, spikes, screening, read_object_space(smk.input.object_space),
                                  ScreeningParams.from_config(smk.params.screening),
                                  AxisParams.from_config(smk.params.axis), smk.wildcards.session)
    grid = smk.params.bursts
    bursts = burst_variant_calls(units, trials, spikes, ReactivationParams.from_config(smk.params.reactivation),
                                 grid["min_isis"], grid["significance"], grid["min_burst_trials"])
    write_parquet_atomic(axis, smk.output.axis)
    write_parquet_atomic(bursts, smk.output.bursts)
    print(f"{smk.wildcards.session}: {len(axis)} units responsive by another rule only; "
          f"{bursts.unit_id.nunique()} units' poisson_burst calls under {len(bursts.groupby(list(grid)))} "
          "burst parameter sets")


run_rule(snakemake, main)
