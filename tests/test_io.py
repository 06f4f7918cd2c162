"""Atomic writes and the one float format of every TSV."""

from __future__ import annotations

import numpy as np
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


def test_a_results_table_page_rounds_to_three_significant_digits_and_says_simulated():
    from vtc_imagery.report import table_html

    page = table_html(pd.DataFrame(dict(stage=["VTC"], this_run=[714.0], fraction=[0.614846], p=[np.nan],
                                        simulated=[True])), "results/tables/x.tsv")
    assert "<td>714</td>" in page and "<td>0.615</td>" in page and "<td></td>" in page
    assert "SIMULATED" in page and "<th>simulated</th>" not in page


def test_the_landing_page_funnel_rows_are_whole_counts_and_blank_where_the_paper_has_none(tmp_path):
    from vtc_imagery.report import funnel_landing_rows

    assert funnel_landing_rows(tmp_path / "none.tsv") == []
    pd.DataFrame(dict(stage=["recorded", "VTC"], this_run=[954, 714], paper=[np.nan, 714.0])).to_csv(
        tmp_path / "funnel.tsv", sep="\t", index=False)
    assert funnel_landing_rows(tmp_path / "funnel.tsv") == [dict(stage="recorded", this_run="954", paper=""),
                                                            dict(stage="VTC", this_run="714", paper="714")]
