"""Rule selection_funnel: units left at each criterion beside the paper's numbers."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # noqa: F821 (snakemake is injected)
import pandas as pd  # noqa: E402

from vtc_imagery.perception import selection_funnel  # noqa: E402
from vtc_imagery.runner import run_rule  # noqa: E402


def main(smk):
    funnel = selection_funnel(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery))
    funnel.to_csv(smk.output[0], sep="\t", index=False, float_format="%.4g")
    print(funnel.to_string(index=False))


run_rule(snakemake, main)  # noqa: F821
