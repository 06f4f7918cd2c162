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


def test_a_table_of_a_simulated_run_says_so_on_every_row(tmp_path):
    write_tsv_atomic(pd.DataFrame(dict(a=[1, 2])), tmp_path / "t.tsv", simulated=True)
    write_tsv_atomic(pd.DataFrame(dict(a=[1]), index=[0]).assign(simulated=False), tmp_path / "u.tsv", simulated=True)
    assert pd.read_csv(tmp_path / "t.tsv", sep="\t").simulated.tolist() == [True, True]
    assert pd.read_csv(tmp_path / "u.tsv", sep="\t").columns.tolist() == ["a", "simulated"]


def test_every_results_table_rule_says_whether_its_run_is_simulated():
    import re
    from pathlib import Path

    scripts = Path(__file__).resolve().parents[1] / "scripts"
    for script in scripts.glob("*.py"):
        for call in re.findall(r"write_tsv_atomic\((.*)\)", script.read_text()):
            if script.name not in ("dandi_manifest.py", "calibration_table.py"):  # an asset list; always simulated
                assert "simulated=" in call, script.name
