"""Population decoding: leave-one-out feature decoding, identification among k distractors, reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import comb

from vtc_imagery.decoding import (
    identification_accuracy,
    loo_decode_features,
    pairwise_distances,
    prune_database,
    reconstruct,
)


@pytest.fixture(scope="module")
def population():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(80, 6))
    rates = features @ rng.normal(size=(6, 15)) + rng.normal(0, 1.0, (80, 15)) + 10
    return features, rates


def test_loo_decoding_equals_refitting_without_each_image(population):
    features, rates = population
    design = np.column_stack([rates, np.ones(len(rates))])
    naive = np.empty_like(features)
    for j in range(len(rates)):
        keep = np.arange(len(rates)) != j
        beta = np.linalg.lstsq(design[keep], features[keep], rcond=None)[0]
        naive[j] = design[j] @ beta
    np.testing.assert_allclose(loo_decode_features(rates, features), naive, atol=1e-10)


def test_more_units_than_images_cannot_be_decoded_leave_one_out():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="leverage"):
        loo_decode_features(rng.normal(size=(10, 20)), rng.normal(size=(10, 3)))


def test_perfect_decoding_always_identifies_the_target(population):
    # FIX matlab_code.md §4 item 13: the authors' loop skipped the target, so accuracy was always 0.
    features, _ = population
    table = identification_accuracy(features, features, np.array([1, 10, 50]), np.random.default_rng(0), 200)
    assert table.accuracy.tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(table.chance, [1 / 2, 1 / 11, 1 / 51])


def test_identification_draws_match_the_exact_hypergeometric_probability(population):
    features, rates = population
    decoded = loo_decode_features(rates, features)
    n = len(features)
    dist = pairwise_distances(decoded, features)
    bad = (dist <= np.diag(dist)[:, None]).sum(axis=1) - 1
    for k in (1, 5, 20):
        exact = np.mean(comb(n - 1 - bad, k) / comb(n - 1, k))
        table = identification_accuracy(decoded, features, np.array([k]), np.random.default_rng(k), 4000)
        assert table.accuracy.iloc[0] == pytest.approx(exact, abs=0.01)


def test_random_decoding_is_at_chance():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(200, 5))
    table = identification_accuracy(rng.normal(size=(200, 5)), features, np.array([1, 4]), rng, 2000)
    np.testing.assert_allclose(table.accuracy, table.chance, atol=0.03)


def test_reconstruction_is_the_nearest_database_object_scored_against_the_best_possible():
    truth = np.array([[0.0, 0.0], [10.0, 10.0]])
    decoded = np.array([[0.9, 0.0], [10.0, 12.0]])
    database = np.array([[0.5, 0.0], [1.0, 0.0], [10.0, 11.6], [10.0, 10.2]])
    table = reconstruct(decoded, truth, database)
    assert table.reconstruction.tolist() == [1, 2] and table.best_possible.tolist() == [0, 3]
    np.testing.assert_allclose(table.normalised_distance, [1.0 / 0.5, 1.6 / 0.2])


def test_database_pruning_drops_duplicates_and_near_stimuli_but_never_compares_an_object_with_itself():
    # FIX matlab_code.md §4 item 14: self-comparisons flagged every image of the authors' database.
    stimuli = np.array([[0.0, 0.0]])
    database = np.array([[5.0, 5.0], [1.0, 1.0], [5.0, 5.0], [0.1, 0.0], [3.0, 0.0]])
    assert prune_database(database, stimuli, 0.0).tolist() == [0, 1, 3, 4]  # the second [5, 5] is a duplicate
    assert prune_database(database, stimuli, min_distance=0.5).tolist() == [0, 1, 4]
