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
    # FIX departure 13: the authors' loop skipped the target, so accuracy was always 0.
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
    # FIX departure 14: self-comparisons flagged every image of the authors' database.
    stimuli = np.array([[0.0, 0.0]])
    database = np.array([[5.0, 5.0], [1.0, 1.0], [5.0, 5.0], [0.1, 0.0], [3.0, 0.0]])
    assert prune_database(database, stimuli, 0.0).tolist() == [0, 1, 3, 4]  # the second [5, 5] is a duplicate
    assert prune_database(database, stimuli, min_distance=0.5).tolist() == [0, 1, 4]


def test_the_batched_axis_test_gives_each_unit_the_axis_models_p_values():
    from vtc_imagery import axis as ax
    from vtc_imagery.decoding import axis_tuning_pvalues_batched

    rng = np.random.default_rng(3)
    scaled = ax.scale_features(rng.normal(size=(120, 6)))
    responses = rng.gamma(2.0, 2.0, (120, 4))
    responses[:, 0] += 3 * scaled @ rng.normal(size=6) / np.abs(scaled).max()
    batched = axis_tuning_pvalues_batched(responses, scaled, np.random.default_rng(9), 40, 13)
    for u in range(4):
        alone = ax.axis_tuning_pvalues(responses[:, u], scaled, np.random.default_rng(9), 40, 13)
        np.testing.assert_array_equal(batched[:, u], alone)


def test_units_are_chosen_for_each_fold_without_any_of_its_images():
    from vtc_imagery.decoding import loo_decode_with_selection_in_folds

    rng = np.random.default_rng(4)
    features = np.arange(60.0)[:, None] + rng.normal(0, 0.01, (60, 2))  # every image's features are its own
    responses = rng.normal(size=(60, 5))
    folds = rng.permutation(60) % 6
    seen = []

    def select(train_responses, train_features):
        seen.append(set(np.round(train_features[:, 0]).astype(int)))
        return np.array([True, True, False, False, True])

    _, n_units = loo_decode_with_selection_in_folds(responses, features, folds, select)
    assert [s.isdisjoint(np.flatnonzero(folds == k)) for k, s in enumerate(seen)] == [True] * 6
    assert [len(s) for s in seen] == [50] * 6 and n_units.tolist() == [3] * 60


@pytest.fixture(scope="module")
def null_units():
    """Many responsive units with no relation to the features: the few called axis-tuned are chance calls."""
    rng = np.random.default_rng(5)
    features = rng.normal(size=(150, 8))
    return rng.gamma(2.0, 2.0, (150, 1500)), features


def _identification(decoded, features):
    table = identification_accuracy(decoded, features, np.array([1]), np.random.default_rng(6), 2000)
    return table.accuracy.iloc[0], table["sem"].iloc[0]


def _select(rng):
    from vtc_imagery.decoding import axis_tuned_in_training

    return lambda responses, features: axis_tuned_in_training(responses, features, rng, 200, 1, 0.01, 1)


def test_units_called_axis_tuned_inside_the_folds_do_not_decode_images_they_are_not_tuned_to(null_units):
    # The authors' units, called with every image, decode each image partly because that image helped
    # call them; called without it, chance units decode at chance (1 distractor: 1/2).
    from vtc_imagery.decoding import loo_decode_with_selection_in_folds

    responses, features = null_units
    rng = np.random.default_rng(7)
    folds = rng.permutation(len(features)) % 10
    decoded, n_units = loo_decode_with_selection_in_folds(responses, features, folds, _select(rng))
    accuracy, sem = _identification(decoded, features)
    assert n_units.min() > 0 and accuracy <= 0.5 + 2.5 * sem
    authors = _select(rng)(responses, features)
    accuracy, sem = _identification(loo_decode_features(responses[:, authors], features), features)
    assert accuracy > 0.5 + 2.5 * sem


def test_units_called_axis_tuned_inside_the_folds_decode_planted_tuning(null_units):
    from vtc_imagery.decoding import loo_decode_with_selection_in_folds

    responses, features = null_units
    rng = np.random.default_rng(8)
    tuned = responses[:, :100] + features @ rng.normal(size=(8, 100)) / np.sqrt(8)
    decoded, _ = loo_decode_with_selection_in_folds(tuned, features, rng.permutation(len(features)) % 10,
                                                    _select(rng))
    accuracy, sem = _identification(decoded, features)
    known, _ = _identification(loo_decode_features(tuned, features), features)  # the planted units, known
    assert accuracy >= known - 2.5 * sem and accuracy > 0.5 + 5 * sem


def _cohort(rng, n_images=60):
    """A unit table and screening responses: u0-u2 tuned and called axis-tuned, u3 responsive but not
    called, u4 not responsive, u5 outside VTC; and the object space of the images."""
    import pandas as pd

    from vtc_imagery.objects import ObjectSpaceFile

    features = rng.normal(size=(n_images, 4))
    units = pd.DataFrame(dict(unit_id=[f"u{i}" for i in range(6)], area=["VTC"] * 5 + ["amygdala"],
                              responsive=[True, True, True, True, False, True],
                              axis_tuned=[True, True, True, False, None, True]))
    rates = rng.gamma(2.0, 2.0, (n_images, 6))
    rates[:, :3] += 3 * features[:, :3]
    responses = pd.DataFrame([dict(unit_id=f"u{u}", stim_phase="screening", stim_id=i + 1, response_hz=rates[i, u])
                              for i in range(n_images) for u in range(6) if u != 4])
    objects = ObjectSpaceFile(np.arange(1, n_images + 1), features, np.zeros(n_images), np.zeros((0, 4)),
                              pd.DataFrame(), True)
    return units, responses, objects, rates


def test_the_candidates_are_the_responsive_vtc_units_with_the_axis_models_calls():
    from vtc_imagery.perception import candidate_population

    units, responses, objects, rates = _cohort(np.random.default_rng(9))
    population, tuned = candidate_population(units, responses, objects.stim_id)
    assert population.columns.tolist() == ["u0", "u1", "u2", "u3"] and tuned.tolist() == [True, True, True, False]
    np.testing.assert_array_equal(population.to_numpy(), rates[:, :4])


def test_the_authors_selection_decodes_from_the_axis_models_calls_and_in_fold_from_its_own():
    from dataclasses import replace

    from vtc_imagery.perception import AxisTestParams, DecodingParams, candidate_population, decode_objects

    units, responses, objects, _ = _cohort(np.random.default_rng(10))
    population, tuned = candidate_population(units, responses, objects.stim_id)
    params = DecodingParams(max_distractors=3, draws=100, seed=0, selection="all_images", selection_folds=5,
                            selection_repeats=2)
    test = AxisTestParams(n_shuffles=50, n_repeats=100, alpha=0.05, min_significant=99)
    ident, per_image = decode_objects(population, tuned, objects, params, test)
    np.testing.assert_allclose(np.stack(per_image.decoded),
                               loo_decode_features(population.to_numpy()[:, :3], objects.features))
    assert ident.n_units.tolist() == [3] * 3 and ident.selection.iloc[0] == "all_images"
    authors = np.stack(per_image.decoded)
    ident, per_image = decode_objects(population, tuned, objects, replace(params, selection="in_fold"), test)
    assert sorted(per_image.fold.unique()) == [0, 1, 2, 3, 4] and ident.selection.iloc[0] == "in_fold"
    # the three tuned units are called in every fold, and the untuned one in none: the same decoder
    assert per_image.n_units.tolist() == [3] * len(per_image)
    np.testing.assert_allclose(np.stack(per_image.decoded), authors)


def test_an_unknown_unit_selection_is_refused():
    from vtc_imagery.perception import DecodingParams

    with pytest.raises(ValueError, match="selection"):
        DecodingParams(max_distractors=1, draws=1, seed=0, selection="best_units", selection_folds=2,
                       selection_repeats=1)
