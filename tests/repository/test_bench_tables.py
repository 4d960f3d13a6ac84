"""benchmarks/README.md's tables are the result files, rendered (python -m benchmarks.tables)."""

from __future__ import annotations

import json

import pytest

from benchmarks import tables


def test_the_committed_tables_are_the_generated_ones():
    text = tables.README.read_text()
    results = tables.load()
    for name, render in tables.TABLES.items():
        assert tables.block(text, name) == render(results), "run `python -m benchmarks.tables`"


def test_every_result_file_has_a_row_and_the_newest_full_run_is_the_latest():
    results = tables.load()
    history = tables.history(results)
    for result in results:
        assert f"| `{result['file']}` |" in history
    newest = max((r for r in results if tables._full(r)), key=lambda r: (r["date"], r["commit"]))
    assert tables.latest(results).startswith(f"Run `{newest['file']}`")


def test_a_new_result_changes_the_tables(tmp_path):
    source = json.loads((tables.RESULTS / "c6a5fad.json").read_text())
    newer = source | {"commit": "fffffff", "date": "2099-01-01"}
    newer["timings"] = [t | {"median_s": t["median_s"] * 2} for t in source["timings"]]
    (tmp_path / "c6a5fad.json").write_text(json.dumps(source))
    (tmp_path / "fffffff.json").write_text(json.dumps(newer))
    results = tables.load(tmp_path)
    assert tables.latest(results).startswith("Run `fffffff.json`")
    assert "| `fffffff.json` | 2099-01-01 | 9.39 |" in tables.history(results)


def test_a_page_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="bench:latest:begin"):
        tables.rewrite("no tables here\n", tables.load())
