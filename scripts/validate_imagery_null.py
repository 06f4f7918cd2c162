"""Rule validate_imagery_null: SIMULATED cohorts with no reactivation, over several seeds: the
reactivation call rate and M1's type-I error against their nominal levels."""

from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.perception import AxisParams
from vtc_imagery.reactivation import ReactivationParams
from vtc_imagery.runner import run_rule
from vtc_imagery.screening import ScreeningParams
from vtc_imagery.simulate.realism import realism_from_config
from vtc_imagery.tables import alignment_windows
from vtc_imagery.validation import imagery_null_check, with_null_summary


def main(smk):
    p = smk.params
    table = imagery_null_check(p.profile, p.seeds, ScreeningParams.from_config(p.screening),
                               AxisParams.from_config(p.axis), ReactivationParams.from_config(p.reactivation),
                               alignment_windows(p.alignment), p.n_shuffles, p.m1, tuple(p.optimizers),
                               p.m1_alpha, realism_from_config(p.simulation))
    out = with_null_summary(table)
    write_tsv_atomic(out, smk.output[0])
    print(out.to_string(index=False))


run_rule(snakemake, main)
