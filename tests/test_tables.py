"""Tidy tables from a read session: units, area mapping, and trial-aligned spikes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vtc_imagery.nwb.read import AreaPatterns, SessionContent, read_session
from vtc_imagery.tables import align_spikes, phase_windows, session_tables, unit_table

WINDOWS = {"screening": (0.5, 0.3), "synthetic": (0.5, 0.3), "encoding": (1.5, 0.5), "distractor": (0.0, 0.0),
           "imagery": (1.0, 1.5)}


@pytest.mark.parametrize("location, area, side", [
    ("ventral_temporal_cortex_left", "VTC", "L"),
    ("LVTC", "VTC", "L"),
    ("RFFA", "VTC", "R"),
    ("Right fusiform gyrus", "VTC", "R"),
    ("hippocampus_right", "hippocampus", "R"),
    ("amygdala_left", "amygdala", "L"),
    ("Left amygdala", "amygdala", "L"),
    ("lateral_occipital", "lateral_occipital", ""),
])
def test_locations_map_to_area_and_hemisphere_by_pattern(location, area, side):
    patterns = AreaPatterns()
    assert patterns.area(location) == area
    assert patterns.hemisphere(location) == side


def test_aligned_spikes_equal_a_plain_loop_over_trials():
    rng = np.random.default_rng(0)
    spikes = [np.sort(rng.uniform(0, 100, n)) for n in (500, 0, 80)]
    starts = np.sort(rng.uniform(1, 95, 40))
    lo, hi = starts - 0.5, starts + 0.8  # overlapping windows: a spike may appear twice
    got = align_spikes(spikes, lo, hi, starts)
    rows = [(u, k, t[j] - starts[k]) for u, t in enumerate(spikes) for k in range(len(starts))
            for j in np.flatnonzero((t >= lo[k]) & (t <= hi[k]))]
    want = pd.DataFrame(rows, columns=["unit_index", "trial_index", "time"])
    got = got.sort_values(["unit_index", "trial_index", "time"]).reset_index(drop=True)
    want = want.sort_values(["unit_index", "trial_index", "time"]).reset_index(drop=True)
    np.testing.assert_array_equal(got.unit_index, want.unit_index)
    np.testing.assert_array_equal(got.trial_index, want.trial_index)
    np.testing.assert_allclose(got.time, want.time, atol=1e-5)
    assert got.time.dtype == np.float32


def test_windows_follow_the_trials_phase():
    trials = pd.DataFrame(dict(start_time=[10.0, 20.0], stop_time=[10.3, 25.0], stim_phase=["screening", "imagery"]))
    lo, hi = phase_windows(trials, WINDOWS)
    np.testing.assert_allclose(lo, [9.5, 19.0])
    np.testing.assert_allclose(hi, [10.6, 26.5])


def test_unit_table_counts_isi_violations_and_rate_over_the_trial_span():
    trials = pd.DataFrame(dict(start_time=[0.0, 5.0], stop_time=[1.0, 10.0], stim_id=[1, 2],
                               stim_category=["animals"] * 2, stim_phase=["screening"] * 2,
                               block=[0, 0], cue=[0, 0], pairing=[-1, -1]))
    content = SessionContent(subject_id="4", session_description="", trials=trials,
                             units=pd.DataFrame(dict(unit_index=[0], cluster_id=[3], location=["RFFA"])),
                             spike_times=[np.array([0.0, 0.001, 0.0025, 1.0, 2.0, 12.0])])
    row = unit_table(content, "sub-4_ses-1", AreaPatterns(), 0.003).iloc[0]
    assert row.unit_id == "sub-4_ses-1_unit-000"
    assert row.n_spikes == 6
    assert row.isi_violation_fraction == pytest.approx(2 / 5)  # ISIs of 1 and 1.5 ms
    assert row.mean_rate_hz == pytest.approx(5 / 10)  # 5 spikes inside [0, 10] s
    assert (row.area, row.hemisphere) == ("VTC", "R")


def test_session_tables_keep_every_spike_of_every_screening_window(session_paths):
    name, path = next(iter(session_paths.items()))
    content = read_session(path)
    units, trials, spikes = session_tables(content, name, AreaPatterns(), 0.003, WINDOWS)
    assert units.unit_id.is_unique and (units.session == name).all()
    assert trials.trial_index.tolist() == list(range(len(trials)))
    k = 123
    t = content.spike_times[2]
    start, stop = trials.start_time[k], trials.stop_time[k]
    expected = np.count_nonzero((t >= start - 0.5) & (t <= stop + 0.3))
    assert ((spikes.unit_index == 2) & (spikes.trial_index == k)).sum() == expected


def test_the_cohort_unit_table_is_ordered_by_session_and_unit_index():
    from vtc_imagery.tables import cohort_units

    s2 = pd.DataFrame(dict(session=["s2", "s2"], unit_index=[1, 0], unit_id=["s2_1", "s2_0"]))
    s1 = pd.DataFrame(dict(session=["s1"], unit_index=[0], unit_id=["s1_0"]))
    units = cohort_units([s2, s1])
    assert units.unit_id.tolist() == ["s1_0", "s2_0", "s2_1"] and units.index.tolist() == [0, 1, 2]


def test_alignment_windows_are_pre_post_pairs_per_phase():
    from vtc_imagery.tables import alignment_windows

    assert alignment_windows({"imagery": {"pre": 1.0, "post": 1.5}}) == {"imagery": (1.0, 1.5)}
