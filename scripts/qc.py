"""Rule qc: every session's QC page (one process for the cohort), then the cohort's QC notebook."""

import pandas as pd

from vtc_imagery.io import atomic_path
from vtc_imagery.qc_pages import session_page
from vtc_imagery.report import execute_notebook
from vtc_imagery.runner import run_rule


def main(smk):
    p = smk.params
    for session, units, trials, spikes, page in zip(p.sessions, smk.input.units, smk.input.trials, smk.input.spikes,
                                                    smk.output.pages, strict=True):
        body = session_page(session, pd.read_parquet(units), pd.read_parquet(trials), pd.read_parquet(spikes),
                            p.example_units, p.isi_threshold_ms, p.simulated)
        with atomic_path(page) as tmp:
            tmp.write_text(body, encoding="utf-8")
        print(f"{session}: {page}", flush=True)
    parameters = dict(sessions=list(p.sessions), units=list(smk.input.units), trials=list(smk.input.trials),
                      spikes=list(smk.input.spikes), simulated=p.simulated)
    execute_notebook(smk.input.notebook, smk.log.notebook, smk.output.ipynb, smk.output.html, parameters)


run_rule(snakemake, main)
