"""Rule table_views: every results table as an HTML page, so that the report shows each inside it."""

import pandas as pd

from vtc_imagery.io import atomic_path
from vtc_imagery.report import table_html
from vtc_imagery.runner import run_rule


def main(smk):
    for name, table, page in zip(smk.params.names, smk.input, smk.output, strict=True):
        with atomic_path(page) as tmp:
            tmp.write_text(table_html(pd.read_csv(table, sep="\t"), f"results/{name}.tsv"), encoding="utf-8")


run_rule(snakemake, main)
