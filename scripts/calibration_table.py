"""Rule calibration: the SIMULATED calibration table and figure from every calibration cohort."""

import pandas as pd

from vtc_imagery.calibration import calibration_table, default_rules, nominal_levels
from vtc_imagery.calibration_figure import calibration_figure
from vtc_imagery.io import atomic_path, write_tsv_atomic
from vtc_imagery.pipeline import AnalysisParams
from vtc_imagery.runner import run_rule


def main(smk):
    params = AnalysisParams.from_config(smk.params.analysis)
    outcomes = pd.concat([pd.read_parquet(p) for p in smk.input], ignore_index=True)
    table = calibration_table(outcomes, nominal_levels(params), default_rules(params))
    write_tsv_atomic(table, smk.output.table)
    with atomic_path(smk.output.figure) as tmp:
        calibration_figure(table).savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    print(table.drop(columns=["power_low", "power_high", "simulated"]).to_string(index=False))


run_rule(snakemake, main)
