"""Rule simulate_cohort: write the virtual cohort (SIMULATED data) under params.out_dir."""
import sys

from vtc_imagery.runner import run_rule
from vtc_imagery.simulate import get_profile, simulate_cohort
from vtc_imagery.simulate.realism import realism_from_config


def main(smk):
    p = smk.params
    profile = get_profile(p.profile, axis_tuned_fraction=p.axis_tuned_fraction,
                          other_responsive_fraction=p.other_responsive_fraction,
                          reactivated_fraction=p.reactivated_fraction, null_tuning=p.null_tuning or None,
                          realism=realism_from_config(p.simulation))
    paths = simulate_cohort(profile, p.seed, p.out_dir, jobs=smk.threads)
    print(f"SIMULATED cohort '{profile.name}' (seed {p.seed}): {len(paths)} sessions", file=sys.stderr)


run_rule(snakemake, main)
