"""The whole workflow through the Snakemake CLI on the `ci` cohort, in temporary directories."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import CI_CONFIG, REPO, RUN_TARGETS, assert_same_tables, result_tables, snakemake

from vtc_imagery.provenance import provenance

pytestmark = pytest.mark.workflow


def test_the_ci_workflow_builds_every_session_and_the_summary(run_dir):
    sessions = sorted(p.name for p in (run_dir / "results/sessions").iterdir())
    assert sessions == ["sub-1_ses-1", "sub-1_ses-2", "sub-2_ses-1", "sub-2_ses-2"]
    for s in sessions:
        for name in ("units", "trials", "spikes"):
            assert (run_dir / f"results/sessions/{s}/{name}.parquet").stat().st_size > 0
        assert (run_dir / f"results/qc/{s}.html").stat().st_size > 0
        assert (run_dir / f"logs/nwb_to_tables/{s}.log").exists()
    assert (run_dir / "results/figures/summary.html").exists()


def test_units_are_unique_across_the_cohort_and_vtc_is_found(run_dir):
    units = pd.read_parquet(run_dir / "results/tables/recorded_units.parquet")
    assert units.unit_id.is_unique
    assert (units.area == "VTC").sum() == 48  # the ci profile plants 48 VTC units
    assert set(units.area) > {"VTC"}


def test_executed_notebooks_contain_figures_and_say_simulated(run_dir):
    figures = sorted((run_dir / "results/figures").glob("*.ipynb"))
    assert [f.stem for f in figures] == ["fig_axis_code", "fig_closed_loop", "fig_decoding", "fig_imagery",
                                         "fig_imagery_models", "fig_latency", "fig_model_comparison", "summary"]
    for nb in [*(run_dir / "results/qc").glob("*.ipynb"), *figures]:
        cells = json.loads(nb.read_text())["cells"]
        outputs = [o for c in cells for o in c.get("outputs", [])]
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{nb.name} has no figure"
        assert not any(o.get("output_type") == "error" for o in outputs)
        assert "SIMULATED" in nb.read_text()
    html = (run_dir / "results/figures/summary.html").read_text()
    assert "SIMULATED" in html and "def " not in html  # exported without code


def test_the_report_registers_the_notebooks(run_dir):
    snakemake(run_dir, "--report", "results/report.html", "report_contents")
    report = (run_dir / "results/report.html").read_text()
    assert "summary.html" in report and "sub-2_ses-2.html" in report
    assert "claims on this run" in report and "VTC neurons recorded" in report  # the scoreboard opens it
    assert "selection funnel on this run" in report and "Tables (viewable)" in report
    views = sorted((run_dir / "results/views").rglob("*.html"))
    assert {p.relative_to(run_dir / "results/views").as_posix() for p in views} >= {
        "tables/claims.html", "tables/selection_funnel.html", "models/M1.html", "calibration/calibration.html"}
    assert f'"{REPO}' not in report and f'"{run_dir}' not in report  # no absolute path of the build machine


def test_the_report_names_the_workflow_version_and_commit(run_dir, repo):
    if not (run_dir / "results/report.html").exists():
        snakemake(run_dir, "--report", "results/report.html", "report_contents")
    report = (run_dir / "results/report.html").read_text()
    stamp = provenance(repo)
    assert stamp["workflow_version"] in report and stamp["workflow_commit"] in report


def test_a_second_run_rebuilds_nothing(run_dir):
    before = {p: p.stat().st_mtime_ns for p in (run_dir / "results").rglob("*") if p.is_file()}
    proc = snakemake(run_dir, *RUN_TARGETS)
    assert "Nothing to be done" in proc.stdout + proc.stderr
    after = {p: p.stat().st_mtime_ns for p in before}
    assert before == after


def test_two_runs_from_the_same_seed_give_identical_tables_whatever_the_cores(run_dir, tmp_path):
    # the first run had 2 cores; an imagery session's tables and axis model, built with 1
    snakemake(tmp_path, "results/axis/sub-2_ses-2/units.parquet", "results/imagery/sub-2_ses-2/units.parquet", cores=1)
    first, second = result_tables(run_dir), result_tables(tmp_path)
    assert set(second) <= set(first) and len(second) >= 10
    assert_same_tables(first, second)


def test_the_perception_tables_are_built_with_the_papers_numbers_beside(run_dir):
    funnel = pd.read_csv(run_dir / "results/tables/selection_funnel.tsv", sep="\t").set_index("stage")
    assert funnel.this_run["VTC"] == 48 and funnel.paper["axis-tuned"] == 367
    assert funnel.this_run["responsive"] >= funnel.this_run["axis-tuned"] > 0
    models = pd.read_csv(run_dir / "results/tables/model_comparison.tsv", sep="\t")
    assert {"axis model", "category model", "exemplar model"} <= set(models.comparison)
    ident = pd.read_csv(run_dir / "results/tables/identification.tsv", sep="\t")
    assert len(ident) == 50 and (ident.accuracy > ident.chance).all()
    recon = pd.read_parquet(run_dir / "results/tables/reconstruction.parquet")
    assert len(recon) == 500 and (recon.normalised_distance >= 1 - 1e-9).all()


def test_validation_on_the_ci_cohort_recovers_the_planted_truth(run_dir):
    v = pd.read_csv(run_dir / "results/validation/perception.tsv", sep="\t").set_index("metric").value
    assert v["responsive sensitivity"] >= 0.8
    assert v["axis-tuned sensitivity"] >= 0.8
    assert v["median cosine(recovered, planted axis)"] >= 0.85
    # false-positive rates are judged by the calibration suite (tests/test_calibration.py), not here


def test_the_funnel_sets_planted_beside_recovered_and_the_authors_rules(run_dir):
    funnel = pd.read_csv(run_dir / "results/validation/funnel.tsv", sep="\t").set_index("stage")
    assert funnel.simulated.all()
    assert (funnel.recovered_and_planted <= funnel[["planted", "recovered"]].min(axis=1)).all()
    assert funnel.loc["VTC", "planted"] == funnel.loc["VTC", "recovered"]  # areas are read, not inferred
    assert funnel.loc["axis-tuned", "recovered_and_planted"] >= 0.8 * funnel.loc["axis-tuned", "planted"]
    assert np.isfinite(funnel.authors_rule[["responsive", "reactivated"]]).all()


def test_the_targeted_closed_loop_unit_ramps_along_its_preferred_axis_only(run_dir):
    ramps = pd.read_csv(run_dir / "results/tables/closed_loop.tsv", sep="\t")
    targeted = ramps[ramps.targeted]
    assert targeted.unit_id.nunique() >= 1
    for _, unit in targeted.groupby("unit_id"):
        pref, ortho = unit[unit.axis == "preferred"], unit[unit.axis == "orthogonal"]
        assert pref.projection.abs().max() > pref.natural_max_projection.iloc[0]  # beyond the natural range
        assert pref.response_hz.corr(pref.step) > 0.8
        assert abs(ortho.response_hz.corr(ortho.step)) < pref.response_hz.corr(pref.step)


def test_the_imagery_tables_extend_the_funnel_and_feed_the_models(run_dir):
    funnel = pd.read_csv(run_dir / "results/tables/selection_funnel.tsv", sep="\t").set_index("stage")
    assert funnel.paper["axis-tuned in imagery sessions"] == 107 and funnel.paper["reactivated"] == 43
    assert funnel.this_run["axis-tuned in imagery sessions"] >= funnel.this_run["reactivated"]
    for model in ("M1", "M2", "M3", "M4"):
        record = json.loads((run_dir / f"results/models/{model}.json").read_text())
        assert record["converged"] and 0 <= record["p_value"] <= 1 and record["versions"]["statsmodels"]
        table = pd.read_csv(run_dir / f"results/models/{model}.tsv", sep="\t")
        assert table.se.notna().any() and np.isfinite(table.estimate).all()
    decoding = pd.read_csv(run_dir / "results/tables/imagery_decoding.tsv", sep="\t")
    assert len(decoding) == 1 and decoding.chance.iloc[0] == pytest.approx(1 / decoding.n_objects.iloc[0], rel=1e-5)


def test_imagery_validation_on_the_ci_cohort(run_dir):
    v = pd.read_csv(run_dir / "results/validation/imagery.tsv", sep="\t").set_index("metric").value
    assert v["reactivation specificity (cue_split)"] >= 0.8  # the default; its level is 0.05
    assert v["reactivation sensitivity (cue_split)"] >= 0.5  # the calibration's power floor


def test_the_calibration_table_judges_every_call_and_is_labelled_simulated(run_dir):
    table = pd.read_csv(run_dir / "results/calibration/calibration.tsv", sep="\t")
    assert {"responsive", "axis-tuned", "reactivated", "M1 preferred", "M1 orthogonal", "M2 viewing"} <= set(table.call)
    assert set(table[table.call == "reactivated"].rule) == {"cue_split", "poisson_burst", "threshold_anova", "ranksum"}
    assert set(table[table.call == "responsive"].rule) == {"paired_windows", "threshold", "threshold_anova"}
    assert table.simulated.all() and set(table.scenario) == {"realistic"}
    assert set(table.verdict) <= {"calibrated", "inconclusive", "too few nulls", "exceeds", "untested"}
    assert (run_dir / "results/calibration/calibration.png").stat().st_size > 10_000


def test_the_claims_scoreboard_judges_the_papers_claims_from_the_runs_tables(run_dir):
    claims = pd.read_csv(run_dir / "results/tables/claims.tsv", sep="\t").set_index("claim")
    funnel = pd.read_csv(run_dir / "results/tables/selection_funnel.tsv", sep="\t").set_index("stage").this_run
    assert claims.simulated.all() and len(claims) == 14
    responsive = claims.loc["visually responsive VTC neurons", "estimate"]
    assert responsive == pytest.approx(funnel["responsive"] / funnel["VTC"])
    m1 = pd.read_csv(run_dir / "results/models/M1.tsv", sep="\t").set_index("term")
    assert claims.loc["imagery follows the preferred axis (M1)", "p_value"] == pytest.approx(m1.loc["preferred_z", "p"])
    assert set(claims.verdict) <= {"reproduced", "not reproduced", "inconclusive", "not testable on this input"}


def test_the_summary_table_path_runs_from_a_released_style_table_alone(tmp_path):
    """A released per-neuron table: ids numbered within each patient, no projections. The models it
    supports and the correlations build from it with no job of the simulated cohort."""
    rng = np.random.default_rng(11)
    rows = []
    for patient in ("P1", "P2", "P3"):
        for unit in range(1, 5):
            view = rng.gamma(2.0, 2.0, 8)
            imagery = 0.9 * view + rng.normal(0, 1, 8)
            rows += [dict(unit=unit, patient=patient, object=k + 1, viewing_rate=view[k],
                          encoding_rate=view[k] + rng.normal(0, 0.5), imagery_rate=imagery[k]) for k in range(8)]
    pd.DataFrame(rows).to_csv(tmp_path / "released.csv", index=False)
    snakemake(tmp_path, "from_summary_table", config=[*CI_CONFIG, f"imagery_table={tmp_path / 'released.csv'}"])
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["figure", "imagery_correlations.log",
                                                                      "mixed_model"]
    assert not (tmp_path / "data").exists() and not (tmp_path / "results/sessions").exists()
    m2 = json.loads((tmp_path / "results/models/M2.json").read_text())
    assert "not_available" not in m2 and m2["n_observations"] == len(rows) and m2["simulated"] is False
    m1 = json.loads((tmp_path / "results/models/M1.json").read_text())
    assert "preferred_projection" in m1["not_available"]
    summary = pd.read_csv(tmp_path / "results/tables/imagery_correlations_summary.tsv", sep="\t")
    assert summary.n_neurons.tolist() == [12, 12] and not summary.simulated.any()
    assert (tmp_path / "results/figures/imagery_correlations.png").stat().st_size > 10_000
    figure = (tmp_path / "results/figures/fig_imagery_models.html").read_text()
    assert "not available from a per-neuron summary table" in figure and "SIMULATED" not in figure
    assert "imagery_z ~ viewing_z" in figure and "preferred_projection" in figure  # M2 fitted, M1 said why not


def test_a_wrong_config_key_stops_the_run_before_any_rule(tmp_path):
    proc = snakemake(tmp_path, config=["simulation={profil: ci}"], check=False)
    assert proc.returncode != 0
    assert "config key 'simulation.profil' is not a known key" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "data").exists()


def test_a_corrupt_local_file_fails_its_job_with_one_message_and_leaves_no_output(session_paths, tmp_path):
    folder = tmp_path / "nwb"
    good, bad = folder / "sub-1" / "sub-1_ses-1_ecephys.nwb", folder / "sub-2" / "sub-2_ses-1_ecephys.nwb"
    good.parent.mkdir(parents=True)
    bad.parent.mkdir(parents=True)
    shutil.copy(session_paths["sub-1_ses-1"], good)
    source = session_paths["sub-2_ses-1"].read_bytes()
    bad.write_bytes(source[: len(source) // 2])
    workdir = tmp_path / "run"
    targets = [f"results/sessions/{s}/units.parquet" for s in ("sub-1_ses-1", "sub-2_ses-1")]
    proc = snakemake(workdir, *targets, "--keep-going", check=False,
                     config=["source=local", f"local={{folder: {folder}}}"])
    assert proc.returncode != 0
    log = (workdir / "logs/nwb_to_tables/sub-2_ses-1.log").read_text()
    assert log.count("ERROR:") == 1 and str(bad.resolve()) in log and "cannot be read as an NWB file" in log
    assert "Traceback" not in log
    assert not (workdir / "results/sessions/sub-2_ses-1").exists() or not any(
        (workdir / "results/sessions/sub-2_ses-1").iterdir())
    assert (workdir / "results/sessions/sub-1_ses-1/units.parquet").exists()
    assert os.path.islink(workdir / "data/local/sub-1_ses-1.nwb")  # linked, not copied


def test_the_paper_cohort_dry_run_has_one_parallel_job_per_session(tmp_path):
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", config=["simulation={profile: paper}"])
    counts = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    assert counts["nwb_to_tables"] == 30 and counts["qc"] == 1
    assert counts["screening_units"] == 30 and counts["axis_model"] == 30
    # the imagery stages for the 11 sessions with imagery trials only
    assert counts["imagery_units"] == 11 and counts["imagery_decoding"] == 11 and counts["mixed_model"] == 4
    assert counts["simulate_cohort"] == 1 and counts["summary"] == 1
    # the six figures of the cohort drawn in one job (one kernel), the models figure in its own
    assert counts["figures"] == 1 and counts["cohort_figure"] == 6 and counts["figure"] == 1


DANDI = ["source=dandi", "dandi={dandiset_id: '000207', version: '0.230530.1822', manifest: manifest.tsv}"]


def test_a_dandi_run_without_a_manifest_first_resolves_it(tmp_path):
    proc = snakemake(tmp_path, "-n", config=DANDI)
    assert "dandi_manifest" in proc.stdout and "download_dandi" not in proc.stdout


def test_a_dandi_run_with_a_manifest_downloads_each_asset_as_its_own_job(tmp_path):
    rows = [dict(session=f"sub-{k}_ses-1", path=f"sub-{k}/sub-{k}_ses-1_ecephys+image.nwb", asset_id=str(k),
                 size="1", sha256="", dandi_etag="") for k in (1, 2)]
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.tsv", sep="\t", index=False)
    proc = snakemake(tmp_path, "-n", config=DANDI)
    assert proc.stdout.count("rule download_dandi:") == 2
    assert "data/dandi/000207/0.230530.1822/sub-2_ses-1.nwb" in proc.stdout
