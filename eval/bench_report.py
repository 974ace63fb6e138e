"""The benchmark's outputs: latest.json (every figure), latest.md (the targets table), scale.png (cost by size)."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

GIB = 2**30
MIB = 2**20
HOW = (
    "How each figure is taken:",
    "- *floor*: `SentenceTransformer.encode` of the question (one torch thread, as the product embeds questions), "
    "a Chroma query for 30 and a BM25 top 30 on the same index; asked turn about with every system, question by "
    "question. *library*: `QuestionAnswerer.ask` with the product's settings (embedding.backend as the table says); "
    "*library on torch*: the same with the model on sentence-transformers, as the floor has it; *API*: `POST "
    "/api/ask` through FastAPI's TestClient on `create_app` (conversation and SQLite record included); *index "
    "built with ONNX*: the library over an index built and queried with the ONNX backend "
    "(`bot/embedding_onnx.py`); *llama-index*: the stock `VectorStoreIndex` peer of `eval/peers.py`, retrieval only.",
    "- *ingestion*: the product's ingest of shuffled copies of the seed documents, which by default embeds every "
    "passage once and takes each sentence's vector from its passage's forward pass; *separate sentences*: "
    "`embedding.sentence_vectors = \"separate\"`, each sentence embedded again on its own; "
    "*bare encode*: `SentenceTransformer.encode` of the same passages' text, half before and half after each build.",
    "- *re-ingest*: the same ingest again on the unchanged folder; *full build* is the build above.",
    "- *scale*: derived passages (jittered copies of real vectors, made-up words added so the vocabulary grows); "
    "each size is opened by a fresh process as the app does, which asks every question and reports its peak "
    "resident memory (VmHWM); build time = the index side measured + embedding at the rate measured above.",
    "- *cold start*: `python app.py` on a free loopback port with the index built, polled with `POST /api/ask`.",
)


def machine_facts() -> dict[str, Any]:
    import torch

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def _row(
    measure: str, figure: str, reference: str, ratio: float | None, target: str, met: bool | None
) -> dict[str, Any]:
    return {
        "measure": measure,
        "figure": figure,
        "reference": reference,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "met": met,
    }


def _ingest_rows(ingest: dict[str, Any]) -> list[dict[str, Any]]:
    """Ingestion with the default sentence vectors (pooled) and separately embedded ones, torch and ONNX; each
    against bare torch encode timed around that same build."""

    def bare(row: dict[str, Any]) -> str:
        return f"bare torch encode {row.get('bare_torch_per_second', ingest['bare_passages_per_second']):.1f}/s"

    share = ingest["embed_seconds"] / ingest["build_seconds"]
    rows = [
        _row("ingestion, torch", f"{ingest['passages_per_second']:.1f} passages/s", bare(ingest), ingest["ratio"],
             "≥ 0.8×", ingest["ratio"] >= 0.8),
        _row("ingestion, time in the model", f"{ingest['embed_seconds']:.1f} s of {ingest['build_seconds']:.1f} s "
             f"({share:.0%})", f"{ingest['texts_embedded'] / ingest['passages']:.1f} texts embedded a passage",
             None, "—", None),
    ]
    separate = ingest.get("separate")
    if separate:
        rows.append(_row("ingestion, torch, separate sentences", f"{separate['passages_per_second']:.1f} passages/s",
                         bare(separate), separate["ratio"], "≥ 0.8×", separate["ratio"] >= 0.8))
    onnx = ingest.get("onnx", {})
    if "passages_per_second" in onnx:
        rows.append(_row("ingestion, ONNX", f"{onnx['passages_per_second']:.1f} passages/s", bare(onnx),
                         onnx["ratio_to_bare_torch"], "≥ 1.5×", onnx["ratio_to_bare_torch"] >= 1.5))
        if "separate" in onnx:
            row = onnx["separate"]
            rows.append(_row("ingestion, ONNX, separate sentences", f"{row['passages_per_second']:.1f} passages/s",
                             bare(row), row["ratio_to_bare_torch"], "≥ 1.5×", row["ratio_to_bare_torch"] >= 1.5))
        rows.append(_row("bare encode, ONNX", f"{onnx['bare_passages_per_second']:.1f} passages/s",
                         f"bare torch encode {onnx['bare_torch_bracket_per_second']:.1f}/s",
                         onnx["bare_ratio_to_bare_torch"], "—", None))
    elif onnx:
        rows.append(_row("ingestion, ONNX", "skipped", onnx.get("skipped", ""), None, "≥ 1.5×", None))
    return rows


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target of the issue: the figure, what it is measured against, the ratio, and whether it is met."""
    rows: list[dict[str, Any]] = []
    ask = results.get("ask", {}).get("systems", {})
    floor = ask.get("floor")
    if floor:
        backend = results.get("embedding_backend", "torch")
        for name, label, judged in (
            ("library", f"library ({backend} backend)", True),
            ("api", f"API (TestClient, {backend} backend)", True),
            ("torch library", "library on torch", False),
            ("onnx library", "library, index built with ONNX", False),
        ):
            if name in ask:
                ratio = ask[name]["p50_ms"] / floor["p50_ms"]
                rows.append(
                    _row(
                        f"ask p50, {label}",
                        f"{ask[name]['p50_ms']:.1f} ms",
                        f"floor {floor['p50_ms']:.1f} ms",
                        ratio,
                        "≤ 1.3× floor" if judged else "—",
                        ratio <= 1.3 if judged else None,
                    )
                )
        for name, label in (("library", "library"), ("api", "API (TestClient)"), ("torch library", "library on torch")):
            if name in ask:
                rows.append(
                    _row(
                        f"ask p95, {label}",
                        f"{ask[name]['p95_ms']:.1f} ms",
                        f"floor {floor['p95_ms']:.1f} ms",
                        ask[name]["p95_ms"] / floor["p95_ms"],
                        "—",
                        None,
                    )
                )
    ingest = results.get("ingest")
    if ingest:
        rows += _ingest_rows(ingest)
    torch_run = ask.get("torch library") or ask.get("library", {})
    if "onnx library" in ask and "recall_at_5" in torch_run:
        points = 100 * (ask["onnx library"]["recall_at_5"] - torch_run["recall_at_5"])
        rows.append(
            _row(
                "recall@5, ONNX index",
                f"{ask['onnx library']['recall_at_5']:.3f}",
                f"torch {torch_run['recall_at_5']:.3f}",
                None,
                "within 1 point",
                abs(points) <= 1.0,
            )
        )
    reingest = results.get("reingest")
    if reingest:
        full = f"full build {reingest['full_build_seconds']:.1f} s"
        rows.append(
            _row(
                "re-ingest unchanged, library",
                f"{reingest['library_seconds']:.3f} s",
                full,
                reingest["ratio"],
                "≤ 0.02×",
                reingest["ratio"] <= 0.02,
            )
        )
        rows.append(
            _row(
                "re-ingest unchanged, `python -m bot ingest`",
                f"{reingest['command_seconds']:.2f} s",
                full,
                reingest["command_ratio"],
                "≤ 0.02×",
                reingest["command_ratio"] <= 0.02,
            )
        )
    peer = ask.get("llama-index")
    if peer and "library" in ask:
        ours = ask["library"]
        rows.append(
            _row(
                "ask p50, ours vs llama-index",
                f"{ours['p50_ms']:.1f} ms",
                f"llama-index {peer['p50_ms']:.1f} ms",
                ours["p50_ms"] / peer["p50_ms"],
                "side by side",
                None,
            )
        )
        if "recall_at_5" in ours and "recall_at_5" in peer:
            rows.append(
                _row(
                    "recall@5, ours vs llama-index",
                    f"{ours['recall_at_5']:.3f}",
                    f"llama-index {peer['recall_at_5']:.3f}",
                    None,
                    "side by side",
                    None,
                )
            )
    rows += _scale_rows(results.get("scale"))
    cold = results.get("cold_start")
    if cold:
        rows.append(
            _row(
                "cold start, `python app.py` → first answer",
                f"{cold['first_answer_seconds']:.1f} s",
                "—",
                None,
                "≤ 8 s",
                cold["first_answer_seconds"] <= 8.0,
            )
        )
    return rows


def _scale_rows(scale: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not scale or not scale["points"]:
        return []
    top = max(scale["points"], key=lambda p: p["passages"])
    size = f"{top['passages']:,}"
    return [
        _row(
            f"query p95 at {size} passages",
            f"{top['p95_ms']:.1f} ms",
            f"p50 {top['p50_ms']:.1f} ms",
            None,
            "≤ 50 ms",
            top["p95_ms"] <= 50,
        ),
        _row(
            f"peak memory of the serving process at {size}",
            f"{top['peak_rss_bytes'] / GIB:.2f} GiB",
            _resident(top),
            None,
            "≤ 2 GiB",
            top["peak_rss_bytes"] <= 2 * GIB,
        ),
        _row(
            f"build at {size}",
            f"{top['build_seconds_estimated']:.0f} s"
            + (" (measured)" if top["embedded"] else " (index side measured, embedding extrapolated)"),
            f"index side {top['index_seconds']:.0f} s" if top.get("index_seconds") is not None else "—",
            None,
            "—",
            None,
        ),
        _row(f"index size at {size}", f"{top['disk_bytes'] / MIB:.0f} MiB", "—", None, "—", None),
    ]


def _resident(point: dict[str, Any]) -> str:
    if point.get("anonymous_bytes_at_end") is None:
        return "—"
    return (
        f"at the end {point['anonymous_bytes_at_end'] / GIB:.2f} GiB own + "
        f"{point['file_backed_bytes_at_end'] / GIB:.2f} GiB mapped files (page cache)"
    )


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"# Benchmark, {machine['date']}",
        "",
        f"{machine['cpus']} CPU cores, no GPU, Python {machine['python']}, torch {machine['torch']} "
        f"({machine['torch_threads']} threads); load average (1, 5, 15 min) {machine['load_before']} at the start, "
        f"{machine.get('load_after')} at the end; {results['seconds']:.0f} s in all. "
        "Ratios are measured side by side in this run; absolute figures move with the machine's load.",
        "",
        "| measure | figure | against | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["targets"]:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.3g}×"
        met = {True: "yes", False: "**no**", None: "—"}[row["met"]]
        lines.append(f"| {row['measure']} | {row['figure']} | {row['reference']} | {ratio} | {row['target']} | {met} |")
    lines += ["", *HOW]
    ask = results.get("ask")
    if ask:
        lines += [
            "",
            f"Ask latency over {ask['questions']} questions, each system asked in turn:",
            "",
            "| system | p50 ms | p95 ms | max ms | p50 / floor | recall@5 | overall |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, entry in ask["systems"].items():
            lines.append(
                f"| {name} | {entry['p50_ms']:.1f} | {entry['p95_ms']:.1f} | {entry['max_ms']:.0f} | "
                f"{entry['p50_ratio_to_floor']:.2f} | {_fmt(entry.get('recall_at_5'))} | "
                f"{_fmt(entry.get('overall'))} |"
            )
        repeated = ask["repeated_question"]
        lines.append(f"| library, repeated question | {repeated['p50_ms']:.1f} | {repeated['p95_ms']:.1f} | | | | |")
    scale = results.get("scale")
    if scale:
        lines += [
            "",
            "Scale (derived passages: jittered copies of real vectors, varied text; "
            f"embedding extrapolated at {scale['embed_seconds_per_passage'] * 1000:.0f} ms a passage "
            "unless measured):",
            "",
            "| passages | build s | index side s | disk MiB | serving peak MiB | open s | ask p50 ms | ask p95 ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for point in scale["points"]:
            lines.append(
                f"| {point['passages']:,} | {point['build_seconds_estimated']:.0f} | "
                f"{_fmt(point.get('index_seconds'), 1)} | {point['disk_bytes'] / MIB:.0f} | "
                f"{point['peak_rss_bytes'] / MIB:.0f} | {point['open_seconds']:.1f} | {point['p50_ms']:.1f} | "
                f"{point['p95_ms']:.1f} |"
            )
        lines += ["", "![cost against size](scale.png)"]
    cold = results.get("cold_start")
    if cold:
        imports = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cold.get("imports", {}).items())
        lines += [
            "",
            f"Cold start: {cold['first_answer_seconds']:.1f} s to the first answer; importing alone "
            f"(fresh interpreter each): {imports}.",
        ]
        if "http_p50_ms" in cold:
            lines.append(
                f"Over HTTP to that server: p50 {cold['http_p50_ms']:.1f} ms, p95 {cold['http_p95_ms']:.1f} ms "
                f"({cold['http_questions']} questions)."
            )
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def plot_scale(scale: dict[str, Any], target: Path) -> None:
    """Four panels against passages (log scale): build time, disk, serving memory, query latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = sorted(scale["points"], key=lambda p: p["passages"])
    sizes = [p["passages"] for p in points]
    figure, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = [
        (
            axes[0][0],
            "build time (s)",
            [
                ("full build (embedding extrapolated unless --full)", [p["build_seconds_estimated"] for p in points]),
                ("index side, measured", [p.get("index_seconds") for p in points]),
            ],
            None,
            True,
        ),
        (axes[0][1], "index size on disk (MiB)", [("disk", [p["disk_bytes"] / MIB for p in points])], None, True),
        (
            axes[1][0],
            "serving process peak memory (MiB)",
            [("peak RSS", [p["peak_rss_bytes"] / MIB for p in points])],
            ("target 2 GiB", 2 * GIB / MIB),
            False,
        ),
        (
            axes[1][1],
            "ask latency, library (ms)",
            [("p50", [p["p50_ms"] for p in points]), ("p95", [p["p95_ms"] for p in points])],
            ("target p95 50 ms", 50.0),
            False,
        ),
    ]
    for axis, title, series, limit, log_y in panels:
        for label, values in series:
            shown = [(s, v) for s, v in zip(sizes, values, strict=True) if v is not None]
            if shown:
                axis.plot([s for s, _ in shown], [v for _, v in shown], marker="o", label=label)
        if limit is not None:
            axis.axhline(limit[1], color="red", linestyle="--", linewidth=1, label=limit[0])
        axis.set_xscale("log")
        if log_y:
            axis.set_yscale("log")
        else:
            axis.set_ylim(bottom=0)
        axis.set_title(title)
        axis.set_xlabel("passages")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("Cost against index size")
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)


def write_outputs(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if results.get("scale"):
        plot_scale(results["scale"], out / "scale.png")
    (out / "latest.md").write_text(markdown(results), encoding="utf-8")
