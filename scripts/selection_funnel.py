"""Rule selection_funnel: units left at each criterion beside the paper's numbers, and per patient."""

import pandas as pd

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.perception import selection_funnel, selection_funnel_by_patient
from vtc_imagery.runner import run_rule


def main(smk):
    units, imagery = pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery)
    funnel = selection_funnel(units, imagery)
    write_tsv_atomic(funnel, smk.output.cohort, simulated=smk.params.simulated)
    write_tsv_atomic(selection_funnel_by_patient(units, imagery), smk.output.patients, simulated=smk.params.simulated)
    print(funnel.to_string(index=False))


run_rule(snakemake, main)
