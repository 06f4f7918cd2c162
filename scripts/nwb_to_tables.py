"""Rule nwb_to_tables: one session's NWB -> units, trials and aligned-spike Parquet tables."""
import sys

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.nwb.read import AreaPatterns, read_session
from vtc_imagery.objects import stimulus_ids
from vtc_imagery.runner import run_rule
from vtc_imagery.tables import alignment_windows, session_tables


def main(smk):
    stimuli = stimulus_ids(smk.input.object_space) if smk.input.object_space else None
    content = read_session(smk.input.nwb, smk.params.trial_phases, stimuli)
    units, trials, spikes = session_tables(content, smk.wildcards.session, AreaPatterns.from_config(smk.params.areas),
                                           smk.params.isi_threshold_ms / 1000.0,
                                           alignment_windows(smk.params.alignment))
    # All three are written only after the whole file has been read and checked.
    write_parquet_atomic(units, smk.output.units)
    write_parquet_atomic(trials, smk.output.trials)
    write_parquet_atomic(spikes, smk.output.spikes)
    print(f"{smk.input.nwb}: {len(units)} units, {len(trials)} trials, {len(spikes)} aligned spikes",
          file=sys.stderr)


run_rule(snakemake, main)
