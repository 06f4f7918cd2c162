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
