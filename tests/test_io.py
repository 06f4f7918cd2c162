"""Atomic writes and the one float format of every TSV."""

from __future__ import annotations

import pandas as pd
import pytest

from vtc_imagery.io import TSV_FLOAT_FORMAT, write_tsv_atomic


def test_tsvs_keep_six_significant_digits(tmp_path):
    path = tmp_path / "t.tsv"
    write_tsv_atomic(pd.DataFrame(dict(name=["x"], value=[1 / 3], n=[7])), path)
    assert TSV_FLOAT_FORMAT == "%.6g"
    assert path.read_text() == "name\tvalue\tn\nx\t0.333333\t7\n"


def test_no_partial_tsv_is_left_when_writing_fails(tmp_path):
    class Broken(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise RuntimeError("disk full")

    path = tmp_path / "sub" / "t.tsv"
    with pytest.raises(RuntimeError, match="disk full"):
        write_tsv_atomic(Broken(dict(a=[1.0])), path)
    assert not path.exists() and list(path.parent.iterdir()) == []
