"""QC summaries: evoked rate change, choice of example units, rasters and PSTHs on hand-made spikes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery import qc


@pytest.fixture()
def tables():
    trials = pd.DataFrame(dict(trial_index=[0, 1, 2], stim_phase=["screening", "screening", "imagery"]))
    spikes = pd.DataFrame(dict(
        unit_index=[0, 0, 0, 0, 1, 1, 0],
        trial_index=[0, 0, 1, 1, 0, 1, 2],
        time=np.array([-0.1, 0.1, 0.2, 0.3, -0.15, -0.05, 0.1], dtype=np.float32),
    ))
    units = pd.DataFrame(dict(unit_index=[0, 1, 2], area=["VTC", "VTC", "amygdala"], hemisphere=["L", "R", ""]))
    return units, trials, spikes


def test_evoked_change_is_response_rate_minus_baseline_rate(tables):
    _, trials, spikes = tables
    change = qc.evoked_rate_change(spikes, trials)
    # unit 0: 3 spikes in 0.05-0.35 s over 2 screening trials -> 5 Hz; 1 in -0.2-0 s -> 2.5 Hz
    assert change[0] == pytest.approx(3 / 2 / 0.3 - 1 / 2 / 0.2)
    assert change[1] == pytest.approx(-2 / 2 / 0.2)  # only baseline spikes


def test_examples_are_vtc_units_with_the_largest_change_first(tables):
    units, trials, spikes = tables
    change = qc.evoked_rate_change(spikes, trials)
    assert qc.example_units(units, change, 2) == [1, 0]  # |-5| > |2.5|
    assert qc.example_units(units, change, 3)[-1] == 2  # non-VTC last


def test_raster_and_psth_use_only_the_phase_trials(tables):
    _, trials, spikes = tables
    rows, _times = qc.raster(spikes, trials, 0, "screening", (-0.2, 0.4))
    assert rows.tolist() == [0, 0, 1, 1]
    centres, rate = qc.psth(spikes, trials, 0, "screening", (0.0, 0.4), 0.2)
    np.testing.assert_allclose(centres, [0.1, 0.3])
    np.testing.assert_allclose(rate, [1 / 2 / 0.2, 2 / 2 / 0.2])


def test_units_by_area_counts_each_side(tables):
    units, _, _ = tables
    counts = qc.units_by_area(units)
    assert counts.loc["VTC", "L"] == 1 and counts.loc["VTC", "R"] == 1 and counts.loc["amygdala", "?"] == 1


# --- response statistics beside the real recordings -------------------------------------------------------------

def _cohort(latencies, rates, *, area="VTC", tuned=True):
    """A unit table and screening responses: unit i has latency latencies[i] and responses rates[i]."""
    n = len(latencies)
    units = pd.DataFrame(dict(unit_id=np.arange(n), area=area, axis_tuned=tuned, latency_ms=latencies))
    rates = np.asarray(rates, dtype=np.float64)
    responses = pd.DataFrame(dict(unit_id=np.repeat(np.arange(n), rates.shape[1]), stim_phase="screening",
                                  stim_id=np.tile(np.arange(1, rates.shape[1] + 1), n), response_hz=rates.ravel()))
    return units, responses


def _imagery(pairs_by_unit, *, reactivated=True):
    """Per-object imagery table: pairs_by_unit[u] = (viewing rates, imagery rates)."""
    rows = [pd.DataFrame(dict(unit=u, patient="P1", object=np.arange(len(v)), viewing_rate=v, imagery_rate=i,
                              area="VTC", axis_tuned=True, reactivated=reactivated))
            for u, (v, i) in pairs_by_unit.items()]
    return pd.concat(rows, ignore_index=True)


NO_IMAGERY = _imagery({0: ([1.0, 2.0], [1.0, 2.0])}, reactivated=False)


def _stat(table, name):
    return table.set_index("statistic").loc[name]


def test_marginals_give_median_and_quartiles_over_axis_tuned_vtc_units():
    units, responses = _cohort([100.0, 150.0, 200.0, 250.0, 300.0], np.arange(1, 6)[:, None] * [[1.0, 3.0]])
    table = qc.response_marginals(units, responses, NO_IMAGERY)
    latency = _stat(table, "latency_ms")
    assert (latency.this_run, latency.this_run_q1, latency.this_run_q3, latency.n_units) == (200.0, 150.0, 250.0, 5)
    assert _stat(table, "mean_rate_hz").this_run == 6.0  # unit 3: mean of 3 and 9
    assert _stat(table, "max_rate_hz").this_run == 9.0


def test_marginals_leave_out_units_that_are_not_axis_tuned_in_vtc():
    units, responses = _cohort([100.0, 200.0, 900.0, 900.0], [[1.0, 1.0]] * 4)
    units["axis_tuned"] = [True, True, False, True]
    units["area"] = ["VTC", "VTC", "VTC", "hippocampus"]
    latency = _stat(qc.response_marginals(units, responses, NO_IMAGERY), "latency_ms")
    assert latency.this_run == 150.0 and latency.n_units == 2


def test_marginals_use_only_the_screening_responses():
    units, responses = _cohort([100.0], [[2.0, 4.0]])
    synthetic = responses.assign(stim_phase="synthetic", response_hz=100.0)
    table = qc.response_marginals(units, pd.concat([responses, synthetic]), NO_IMAGERY)
    assert _stat(table, "mean_rate_hz").this_run == 3.0 and _stat(table, "max_rate_hz").this_run == 4.0


def test_sparseness_of_a_one_hot_response_is_one_and_of_a_constant_response_zero():
    for rates, expected in (([0.0, 0.0, 7.0, 0.0], 1.0), ([3.0, 3.0, 3.0, 3.0], 0.0)):
        table = qc.response_marginals(*_cohort([100.0], [rates]), NO_IMAGERY)
        assert _stat(table, "sparseness").this_run == pytest.approx(expected)


def test_sparseness_is_the_simulators_statistic():
    from vtc_imagery.simulate.marginals import sparseness

    rates = np.random.default_rng(0).gamma(0.5, 4.0, size=(6, 500))
    _, responses = _cohort([100.0] * 6, rates)
    np.testing.assert_allclose(qc.vinje_gallant_sparseness(responses), sparseness(rates))


def test_imagery_of_monotone_pairs_correlates_perfectly():
    units, responses = _cohort([100.0], [[1.0, 2.0]])
    objects = _imagery({0: ([1.0, 2.0, 3.0], [0.1, 0.5, 0.6]), 1: ([4.0, 5.0, 6.0], [0.7, 0.8, 3.0])})
    table = qc.response_marginals(units, responses, objects)
    assert _stat(table, "imagery_spearman_pooled").this_run == pytest.approx(1.0)
    assert _stat(table, "imagery_positive_share").this_run == 1.0
    assert _stat(table, "imagery_spearman_pooled").n_units == 2


def test_a_constant_or_reversed_unit_does_not_count_as_positive():
    units, responses = _cohort([100.0], [[1.0, 2.0]])
    objects = _imagery({0: ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), 1: ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),
                        2: ([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]), 3: ([1.0, 2.0, 3.0], [1.0, 3.0, 4.0])})
    assert _stat(qc.response_marginals(units, responses, objects), "imagery_positive_share").this_run == 0.5


def test_imagery_ratio_is_the_median_over_units_of_mean_imagery_over_mean_viewing():
    units, responses = _cohort([100.0], [[1.0, 2.0]])
    objects = _imagery({0: ([2.0, 2.0], [1.0, 1.0]), 1: ([1.0, 3.0], [1.0, 1.0]), 2: ([1.0, 1.0], [1.0, 3.0])})
    ratio = _stat(qc.response_marginals(units, responses, objects), "imagery_viewing_ratio")
    assert (ratio.this_run, ratio.n_units) == (0.5, 3)  # ratios 0.5, 0.5, 2


def test_marginals_sit_beside_the_real_recordings():
    from vtc_imagery.released_data import REAL_IMAGERY_SPEARMAN, REAL_MARGINALS

    units, responses = _cohort([100.0], [[1.0, 2.0]])
    table = qc.response_marginals(units, responses, NO_IMAGERY)
    assert tuple(_stat(table, "sparseness")[["real", "real_q1", "real_q3"]]) == REAL_MARGINALS["sparseness"]
    assert _stat(table, "imagery_spearman_pooled").real == REAL_IMAGERY_SPEARMAN


def test_empty_populations_give_nan_statistics_not_errors():
    units, responses = _cohort([100.0, 120.0], [[1.0, 2.0]] * 2, tuned=False)
    table = qc.response_marginals(units, responses, NO_IMAGERY)
    assert list(table.columns) == qc.MARGINAL_COLUMNS and len(table) == 7
    assert table.this_run.isna().all() and (table.n_units == 0).all()
    assert table.real.notna().all()


def test_tables_without_rows_give_nan_statistics_not_errors():
    units, responses = _cohort([100.0], [[1.0, 2.0]])
    table = qc.response_marginals(units.iloc[:0], responses.iloc[:0], NO_IMAGERY.iloc[:0])
    assert table.this_run.isna().all() and (table.n_units == 0).all()


def _imagined(patient, unit, viewing, imagery, encoding=None):
    return pd.DataFrame(dict(patient=patient, unit=unit, object=range(len(viewing)), viewing_rate=viewing,
                             imagery_rate=imagery, encoding_rate=np.nan if encoding is None else encoding))


def test_each_neurons_imagery_correlation_is_its_own_spearman_r_over_its_objects():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    v, i, e = rng.normal(size=(3, 7))
    per_neuron, _ = qc.imagery_correlations(_imagined("p", "u", v, i, e))
    assert per_neuron.r_viewing.iloc[0] == pytest.approx(spearmanr(i, v).statistic)
    assert per_neuron.r_encoding.iloc[0] == pytest.approx(spearmanr(i, e).statistic)


def test_imagery_correlations_count_positive_neurons_and_pool_every_pair():
    up, down = [1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]
    table = pd.concat([_imagined("a", "1", up, up), _imagined("b", "1", up, up), _imagined("b", "2", up, down)])
    per_neuron, summary = qc.imagery_correlations(table)
    assert list(per_neuron.r_viewing) == [1.0, 1.0, -1.0]  # the same id in two patients: two neurons
    viewing = summary.set_index("comparison").loc["imagery vs viewing"]
    assert (viewing.n_neurons, viewing.n_positive, viewing.n_pairs) == (3, 2, 12)
    assert viewing.pooled_r == pytest.approx(1 / 3)


def test_a_neuron_without_encoding_rates_or_with_fewer_than_3_objects_has_no_correlation():
    table = pd.concat([_imagined("a", "1", [1.0, 2.0, 3.0], [1.0, 3.0, 2.0]),
                       _imagined("a", "2", [1.0, 2.0], [1.0, 2.0])])
    per_neuron, summary = qc.imagery_correlations(table)
    assert per_neuron.r_viewing.notna().tolist() == [True, False] and per_neuron.r_encoding.isna().all()
    assert summary.set_index("comparison").loc["imagery vs encoding", "n_neurons"] == 0


def _page_tables(tables):
    units, trials, spikes = tables
    return units.assign(unit_id=["s_unit-000", "s_unit-001", "s_unit-002"], mean_rate_hz=[2.0, 5.0, 0.5],
                        isi_violation_fraction=[0.0, 0.01, 0.02]), trials, spikes


def test_a_session_page_is_one_self_contained_html_with_its_tables_and_figures(tables):
    from vtc_imagery.qc_pages import session_page

    page = session_page("sub-1_ses-1", *_page_tables(tables), n_examples=2, isi_threshold_ms=3.0, simulated=True)
    assert page.startswith("<!doctype html>") and page.count("<img ") == 2
    assert page.count("data:image/png;base64,") == 2 and "src=\"http" not in page  # figures inline
    assert "SIMULATED DATA" in page and "amygdala" in page and "screening" in page and "3 ms" in page


def test_a_page_of_recorded_data_has_no_simulated_banner(tables):
    from vtc_imagery.qc_pages import session_page

    assert "SIMULATED" not in session_page("s", *_page_tables(tables), 2, 3.0, simulated=False)


def test_the_cohort_overview_counts_one_sessions_units_trials_and_spikes(tables):
    from vtc_imagery.qc_pages import session_summary

    units, trials, spikes = _page_tables(tables)
    row = session_summary("s", units, trials, len(spikes))
    counts = (row["units"], row["vtc_units"], row["trials"], row["screening_trials"], row["imagery_cues"])
    assert counts == (3, 2, 3, 2, 1)
    assert row["trial_aligned_spikes"] == 7 and row["median_rate_hz"] == 2.0 and row["median_short_isi_pct"] == 1.0


def _parameterised_notebook(path, code: str):
    """A notebook template at `path`: a papermill parameters cell (x = 0), then `code`."""
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                 "display_name": "Python 3"}})
    notebook.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
                      nbformat.v4.new_code_cell(code)]
    nbformat.write(notebook, path)
    return path


def _run_paths(tmp_path, k: int):
    """A run's executed notebook, results copy and HTML page."""
    return tuple(tmp_path / f"{name}{k}.{ext}" for name, ext in (("executed", "ipynb"), ("out", "ipynb"),
                                                                   ("out", "html")))


def _printed(ipynb) -> str:
    """What the notebook's last cell printed."""
    import json

    return "".join(json.loads(ipynb.read_text())["cells"][-1]["outputs"][0]["text"])


def test_notebooks_run_on_kernels_that_talk_over_unix_sockets_so_parallel_ones_cannot_share_a_port(tmp_path):
    # Over TCP two kernels started at once could pick the same free port; one died before it ran a cell.
    from concurrent.futures import ThreadPoolExecutor

    from vtc_imagery.report import execute_notebook

    template = _parameterised_notebook(tmp_path / "template.ipynb", "from ipykernel.kernelapp import IPKernelApp\n"
                                                                    "print(IPKernelApp.instance().transport, x)")

    def run(k: int) -> str:
        executed, ipynb, html = _run_paths(tmp_path, k)
        execute_notebook(template, executed, ipynb, html, {"x": k})
        assert html.exists()
        return _printed(ipynb)

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(run, range(2))) == ["ipc 0\n", "ipc 1\n"]


def test_a_notebook_page_is_the_same_from_two_runs(tmp_path):
    # papermill gives its parameters cell a random id, which the page carried
    from vtc_imagery.report import execute_notebook

    template = _parameterised_notebook(tmp_path / "template.ipynb", "print(x)")
    pages = []
    for k in range(2):
        executed, ipynb, html = _run_paths(tmp_path, k)
        execute_notebook(template, executed, ipynb, html, {"x": 3})
        pages.append(html.read_text())
    assert pages[0] == pages[1] and "injected-parameters" in pages[0]


def test_the_notebooks_of_a_set_share_one_kernel_but_not_their_variables(tmp_path):
    from vtc_imagery.report import NotebookRun, execute_notebooks

    first = _parameterised_notebook(tmp_path / "first.ipynb", "import os\nleft_behind = x\nprint(os.getpid())")
    second = _parameterised_notebook(tmp_path / "second.ipynb",
                                     "import os\nprint(os.getpid(), 'left_behind' in dir(), x)")
    runs = [NotebookRun(t, *_run_paths(tmp_path, k), {"x": k + 5}) for k, t in enumerate((first, second))]
    execute_notebooks(runs)
    printed = [_printed(r.ipynb).split() for r in runs]
    assert printed[1] == [printed[0][0], "False", "6"] and all(r.html.exists() for r in runs)
