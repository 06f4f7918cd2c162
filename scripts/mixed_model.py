"""Rule mixed_model: fit one of the mixed-effects population models M1-M4 (statsmodels)."""

import json

import numpy as np
import pandas as pd

from vtc_imagery.models import (
    fit_binomial_mixed, fit_mixed_lm, imagery_model_data, read_imagery_table, zscore_within,
)
from vtc_imagery.runner import run_rule


def data_for(model: str, smk) -> pd.DataFrame:
    if model in ("M1", "M2"):
        table = read_imagery_table(smk.input.table)
        if smk.params.population == "reactivated" and "reactivated" in table:
            table = table[table.reactivated.astype(bool)]
        elif "axis_tuned" in table and "area" in table:
            table = table[table.axis_tuned.astype(bool) & (table.area == "VTC")]
        return imagery_model_data(table)
    units = pd.read_parquet(smk.input.units).rename(columns={"unit_id": "unit", "subject": "patient"})
    if model == "M3":
        keep = units[(units.area == "VTC") & units.responsive.astype("boolean").fillna(False) & units.nev_axis.notna()]
        return keep.melt(id_vars=["unit", "patient"], value_vars=["nev_axis", "nev_category", "nev_exemplar"],
                         var_name="model", value_name="nev").assign(model=lambda d: d.model.str.removeprefix("nev_"))
    imagery = pd.read_parquet(smk.input.imagery)
    tuned = imagery[(imagery.area == "VTC") & imagery.axis_tuned.astype(bool)].rename(
        columns={"unit_id": "unit", "subject": "patient"})
    one = pd.Series("all", index=tuned.index)
    for src, dst in (("ev_axis", "ev_axis_z"), ("explainable_variance", "explainable_z")):
        tuned[dst] = zscore_within(tuned[src].astype(float), one)
    tuned["log_rate_z"] = zscore_within(np.log(tuned.mean_rate_hz.astype(float)), one)
    tuned["reactivated"] = tuned.reactivated.astype(int)
    return tuned


def main(smk):
    model, spec = smk.wildcards.model, smk.params.spec
    data = data_for(model, smk)
    if model == "M4":
        fit = fit_binomial_mixed(data, spec["formula"], spec["test_term"])
    else:
        fit = fit_mixed_lm(data, spec["formula"], spec["test_term"], spec.get("unit_slope"),
                           tuple(smk.params.optimizers))
    fit.coefficients.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    with open(smk.output.record, "w") as fh:
        json.dump({"model": model, "simulated": smk.params.simulated, **fit.record}, fh, indent=2)
    print(fit.coefficients.to_string(index=False))
    print(f"test of {spec['test_term']}: p = {fit.record['p_value']:.3g}")


run_rule(snakemake, main)  # noqa: F821
