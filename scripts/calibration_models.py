"""Rule calibration_models: the imagery models' tests on SIMULATED summary tables of one scenario."""

from pathlib import Path

from vtc_imagery.calibration import run_model_tables
from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.pipeline import AnalysisParams
from vtc_imagery.runner import run_rule
from vtc_imagery.simulate.realism import realism_from_config


def main(smk):
    out = Path(smk.output[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    table = run_model_tables(smk.wildcards.scenario, smk.params.replicates, smk.params.seed, smk.params.profile,
                             smk.params.power_profile, realism_from_config(smk.params.simulation),
                             AnalysisParams.from_config(smk.params.analysis))
    write_parquet_atomic(table, out)
    print(table.groupby(["call", "kind", "truth"]).called.agg(["sum", "size"]).to_string())


run_rule(snakemake, main)
