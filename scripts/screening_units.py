"""Rule screening_units: latency, responsiveness, category ANOVA and per-image responses of a session."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.runner import run_rule
from vtc_imagery.screening import ScreeningParams, screen_session


def main(smk):
    units, trials, spikes = (pd.read_parquet(smk.input[k]) for k in ("units", "trials", "spikes"))
    params = ScreeningParams.from_config(smk.params.screening)
    screening, responses, counts = screen_session(units, trials, spikes, params)
    write_parquet_atomic(screening, smk.output.units)
    write_parquet_atomic(responses, smk.output.responses)
    write_parquet_atomic(counts, smk.output.counts)
    print(f"{smk.wildcards.session}: {int(screening.responsive.sum())} of {len(screening)} units responsive")


run_rule(snakemake, main)
