"""Random streams: one generator per seed, unit and use, so that results depend neither on the
order units are processed in nor on the number of worker processes."""

from __future__ import annotations

import zlib

import numpy as np

# Stream numbers, one per use of a unit's (or a session's) randomness. Their values are part of the results.
STREAM_AXIS_TUNING = 0  # feature shuffles of the axis-tuning test (a session's, shared by its units)
STREAM_EXPLAINABLE = 1  # trial split halves of the explainable variance
STREAM_AXIS_CONSISTENCY = 2  # image split halves of the axis consistency
STREAM_ORTHOGONAL_AXIS = 3  # draw of the orthogonal control axis
STREAM_AXIS_WITHIN_CATEGORY = 4  # within-category feature shuffles (a session's, shared by its units)
STREAM_IMAGERY_SHUFFLES = 10  # shuffles of the imagery-vs-viewing (and -encoding) correlation tests

# The shuffled-label control of imagined-object decoding draws from imagery.seed + this offset, so
# that its folds and permutations are not those of the real decoder.
SHUFFLED_LABELS_SEED_OFFSET = 1


def unit_rng(seed: int, unit_id: str, stream: int) -> np.random.Generator:
    """A generator fixed by the seed, the unit and the use (a STREAM_* constant)."""
    return np.random.default_rng([seed, zlib.crc32(unit_id.encode()), stream])


def session_rng(seed: int, session: str, stream: int) -> np.random.Generator:
    """A generator fixed by the seed, the session and the use (a STREAM_* constant), for draws that
    all units of a session share; never the stream of a unit's generator."""
    return np.random.default_rng([seed, zlib.crc32(f"session:{session}".encode()), stream])
