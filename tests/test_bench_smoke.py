"""`python -m eval.bench` in its quick mode: every section it runs leaves its figures, ratios and table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.bench import main

pytestmark = pytest.mark.slow


def test_quick_bench_writes_figures_ratios_and_plot(tmp_path: Path) -> None:
    # The slow sections (ONNX export, the llama-index peer, app cold start, CLI re-ingest) are left out here.
    code = main(["--quick", "--skip", "onnx,peers,cold-start,reingest", "--sizes", "150", "--out", str(tmp_path)])
    assert code == 0
    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    systems = results["ask"]["systems"]
    assert {"floor", "library", "torch library", "api"} <= set(systems)
    assert systems["library"]["recall_at_5"] > 0.5 and systems["floor"]["p50_ms"] > 0
    assert results["ingest"]["passages"] > 20 and 0 < results["ingest"]["ratio"] < 5
    ingest, separate = results["ingest"], results["ingest"]["separate"]  # the default pools; separate embeds ~4
    assert ingest["texts_embedded"] < 2 * ingest["passages"]
    assert separate["passages"] == ingest["passages"] and separate["texts_embedded"] > 2 * separate["passages"]
    (point,) = results["scale"]["points"]
    assert point["passages"] == 150 and point["disk_bytes"] > 0 and 100 * 2**20 < point["peak_rss_bytes"] < 4 * 2**30
    measures = {row["measure"]: row for row in results["targets"]}
    assert measures["ask p50, library (onnx backend)"]["ratio"] == pytest.approx(
        systems["library"]["p50_ms"] / systems["floor"]["p50_ms"], rel=1e-2)
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")
    for row in ("| ask p50, library (onnx backend) |", "| ask p50, library on torch |", "| ingestion, torch |"):
        assert row in table
    assert "query p95 at 150" in table
    assert (tmp_path / "scale.png").stat().st_size > 10_000
