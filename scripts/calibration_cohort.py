"""Rule calibration_cohort: one SIMULATED calibration cohort, analysed as the workflow does."""

from pathlib import Path

from vtc_imagery.calibration import run_cohort
from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.pipeline import AnalysisParams
from vtc_imagery.runner import run_rule
from vtc_imagery.simulate.realism import realism_from_config


def main(smk):
    w = smk.wildcards
    out = Path(smk.output[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    table = run_cohort(w.scenario, w.kind, int(w.seed), smk.params.profile, realism_from_config(smk.params.simulation),
                       AnalysisParams.from_config(smk.params.analysis),
                       axis_null_scale=smk.params.axis_null_scale,
                       category_null_scale=smk.params.category_null_scale, workdir=out.parent)
    write_parquet_atomic(table, out)
    print(table.groupby(["call", "rule", "truth"]).called.agg(["sum", "size"]).to_string())


run_rule(snakemake, main)
