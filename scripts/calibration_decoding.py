"""Rule calibration_decoding: both imagery decoders' permutation tests on SIMULATED imagery sessions of one
scenario."""

from pathlib import Path

from vtc_imagery.calibration import run_decoding_sessions
from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.pipeline import AnalysisParams
from vtc_imagery.runner import run_rule
from vtc_imagery.simulate.realism import realism_from_config


def main(smk):
    out = Path(smk.output[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    table = run_decoding_sessions(smk.wildcards.scenario, smk.params.replicates, smk.params.seed, smk.params.profile,
                                  smk.params.power_profile, realism_from_config(smk.params.simulation),
                                  AnalysisParams.from_config(smk.params.analysis), smk.params.permutations)
    write_parquet_atomic(table, out)
    print(table.groupby(["call", "rule", "truth"]).called.agg(["sum", "size"]).to_string())


run_rule(snakemake, main)
