"""`--report DIR`: report.md and PNG plots a person reads in a minute to see what broke."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.calibrate import ThresholdStudy
from eval.compare import SystemRun, differences_table, records_by_system, split_gap
from eval.errors import EvalError
from eval.metrics import RECALL_K, normalise, percentile, summarise
from eval.questions import Question
from eval.tables import LEGEND, category_table, cell, in_split, markdown_table, splits_of, system_table

EXCERPT_CHARS = 420


def write_report(
    out_dir: Path,
    questions: Sequence[Question],
    runs: Sequence[SystemRun],
    study: ThresholdStudy | None = None,
    title_note: str = "",
) -> Path:
    """Write report.md and its plots into `out_dir`; `runs[0]` is ours, whose failures are listed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = _plots(out_dir, runs, study)
    ours = runs[0]
    sections = [
        "# Evaluation report",
        _overview(questions, runs, title_note),
        "## Systems side by side\n\n" + system_table(records_by_system(runs)) + "\n\n" + LEGEND,
    ]
    if len(runs) > 1:
        sections.append(
            "## Are the differences real?\n\nOurs minus each peer, with a 95% paired bootstrap "
            "interval over questions (2000 resamples, seed 0); `*` marks an interval that excludes "
            "zero.\n\n" + differences_table(runs)
        )
    gap = split_gap(ours.records)
    if gap:
        sections.append(f"## Dev and test halves\n\n{gap}. The threshold and weights are tuned on dev only.")
    if study is not None:
        sections.append(
            "## Refusal threshold (SQuAD 2.0 style)\n\n"
            + study.describe()
            + "\n\n![overall score against the threshold](calibration.png)"
        )
    sections.append(
        "## Per category\n\nShare of questions right (answerable: every part; unanswerable: "
        "refused).\n\n" + _category_pivot(runs) + "\n\n![per category](categories.png)\n\n"
        f"Every metric per category for **{ours.name}**:\n\n" + category_table(list(ours.records))
    )
    sections.append(
        "## Retrieval and latency\n\n![gold passage recall by depth](retrieval.png)\n\n"
        "![latency per question](latency.png)"
    )
    sections.append(_failures(questions, runs))
    path = out_dir / "report.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    missing = [p for p in plots if not (out_dir / p).is_file()]
    if missing:
        raise EvalError(f"plots not written: {', '.join(missing)}")
    return path


def _overview(questions: Sequence[Question], runs: Sequence[SystemRun], note: str) -> str:
    graded = [q for q in questions if q.graded]
    halves = ", ".join(f"{split}: {sum(q.split == split for q in graded)}" for split in ("dev", "test"))
    systems = "\n".join(f"- **{run.name}**: {run.description} ({_shape(run)})" for run in runs)
    unanswerable = sum(q.abstain for q in graded)
    return f"{len(graded)} graded questions ({halves}; {unanswerable} unanswerable). {note}\n\n{systems}"


def _shape(run: SystemRun) -> str:
    """How long its answers are and how many distinct passages it ever retrieved: a peer with a few huge
    chunks finds the gold passage 'in the top 5' and holds the parts by sheer length."""
    words = summarise(run.records)["median_words"]
    passages = {c.get("passage_id") or c.get("text") for r in run.results for c in r.get("retrieved") or []}
    return (
        f"median answer {cell('{:.0f}', words)} words; {len(passages)} distinct passages retrieved in the run"
    )


def _category_pivot(runs: Sequence[SystemRun]) -> str:
    rows = []
    all_records = list(runs[0].records)
    for split in splits_of(all_records):
        categories = sorted({r["category"] for r in in_split(all_records, split)})
        for category in categories:
            cells = []
            for run in runs:
                subset = [r for r in in_split(run.records, split) if r["category"] == category]
                cells.append(cell("{:.2f}", summarise(subset)["overall"]))
            count = sum(1 for r in in_split(all_records, split) if r["category"] == category)
            rows.append([split, category, str(count), *cells])
    return markdown_table(["split", "category", "n", *(run.name for run in runs)], rows)


def _failures(questions: Sequence[Question], runs: Sequence[SystemRun]) -> str:
    ours = runs[0]
    by_question = {q.id: q for q in questions}
    results = {r["id"]: r for r in ours.results}
    right_elsewhere = {run.name: {r["id"] for r in run.records if r["correct"]} for run in runs[1:]}
    failed = [r for r in ours.records if _failure_reasons(r)]
    lines = [
        f"## Failed questions ({ours.name}): {len(failed)} of {len(ours.records)}",
        "A question fails when it is answered without every required part, refused though answerable, "
        "answered though unanswerable, answered without citing the gold passage, or not grounded.",
    ]
    for record in failed:
        question, result = by_question[record["id"]], results[record["id"]]
        peers_right = [name for name, ids in right_elsewhere.items() if record["id"] in ids]
        lines.append(f"### {record['id']} ({record['split']}, {record['category']}): {question.question}")
        lines.append(f"- **what failed**: {'; '.join(_failure_reasons(record))}")
        confidence = record.get("confidence")
        given = "refused: " if result.get("abstained") else ""
        lines.append(
            f"- **answer given** ({given}confidence {cell('{:.3f}', _num(confidence))}): "
            f"{_excerpt(str(result.get('answer', '')))}"
        )
        if question.answer_parts:
            lines.append(
                "- **expected parts**: " + "; ".join(" / ".join(part) for part in question.answer_parts)
            )
        lines += _gold_lines(question, result, record)
        if runs[1:]:
            lines.append(f"- **right in**: {', '.join(peers_right) or 'no peer'}")
    return "\n".join(lines)


def _failure_reasons(record: Mapping[str, Any]) -> list[str]:
    reasons = []
    if record["abstain_expected"]:
        if not record["abstained"]:
            reasons.append("unanswerable but answered")
    elif record["abstained"]:
        reasons.append("answerable but refused")
    else:
        if not record["all_parts"]:
            reasons.append("missing " + ", ".join(repr(p) for p in record.get("missing_parts", [])))
        if "gold_rank" in record and record["gold_rank"] is None:
            reasons.append("gold passage not cited")
    if not record["grounded"]:
        reasons.append("answer not grounded in its citations (a bug)")
    return reasons


def _gold_lines(question: Question, result: Mapping[str, Any], record: Mapping[str, Any]) -> list[str]:
    if not question.gold:
        return []
    retrieved = result.get("retrieved") or []
    rank = record.get("retrieval_rank")
    cited = record.get("gold_rank")
    where = (
        f"retrieved at rank {rank} of {len(retrieved)}"
        if rank
        else f"not among the {len(retrieved)} passages retrieved"
    )
    where += f", cited at position {cited}" if cited else ", not cited"
    gold = question.gold[0]
    lines = [f"- **gold passage** ({gold.source}): {where}", f"  - gold quote: “{gold.quote}”"]
    if rank:
        passage = str(retrieved[rank - 1].get("text", ""))
        lines.append(f"  - passage: {_excerpt(passage, around=gold.quote)}")
    top = retrieved[0] if retrieved else None
    if top is not None and rank != 1:
        lines.append(f"  - ranked first instead ({top.get('source')}): {_excerpt(str(top.get('text', '')))}")
    return lines


def _excerpt(text: str, around: str | None = None) -> str:
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT_CHARS:
        return flat
    start = 0
    if around:
        position = normalise(flat).find(normalise(around))
        start = max(0, position - EXCERPT_CHARS // 3) if position >= 0 else 0
    piece = flat[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + piece + "…"


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _plots(out_dir: Path, runs: Sequence[SystemRun], study: ThresholdStudy | None) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EvalError(
            "the report's plots need matplotlib; run `make setup` (pip install -e '.[eval]')"
        ) from None
    written = [
        _category_plot(plt, out_dir, runs),
        _latency_plot(plt, out_dir, runs),
        _retrieval_plot(plt, out_dir, runs),
    ]
    if study is not None:
        written.append(_calibration_plot(plt, out_dir, study))
    return written


def _category_plot(plt: Any, out_dir: Path, runs: Sequence[SystemRun]) -> str:
    splits = [s for s in splits_of(list(runs[0].records)) if s != "all"]
    figure, axes = plt.subplots(len(splits), 1, figsize=(11, 3.6 * len(splits)), squeeze=False)
    width = 0.8 / len(runs)
    for axis, split in zip(axes[:, 0], splits, strict=True):
        categories = sorted({r["category"] for r in in_split(runs[0].records, split)})
        for offset, run in enumerate(runs):
            values = [
                summarise([r for r in in_split(run.records, split) if r["category"] == c])["overall"]
                for c in categories
            ]
            positions = [i + (offset - (len(runs) - 1) / 2) * width for i in range(len(categories))]
            axis.bar(positions, values, width, label=run.name)
        counts = [sum(1 for r in in_split(runs[0].records, split) if r["category"] == c) for c in categories]
        axis.set_xticks(
            range(len(categories)), [f"{c}\n(n={n})" for c, n in zip(categories, counts, strict=True)]
        )
        axis.set_ylim(0, 1.05)
        axis.set_ylabel("share right")
        axis.set_title(f"{split} half: answerable answered with every part / unanswerable refused")
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, ncol=len(runs), loc="upper center", fontsize=9, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    figure.savefig(out_dir / "categories.png", dpi=110)
    plt.close(figure)
    return "categories.png"


def _latency_plot(plt: Any, out_dir: Path, runs: Sequence[SystemRun]) -> str:
    figure, axis = plt.subplots(figsize=(9, 0.7 + 0.8 * len(runs)))
    data = [
        [max(r["latency_ms"], 0.01) for r in run.records if not math.isnan(r["latency_ms"])] for run in runs
    ]
    axis.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=True, flierprops={"markersize": 3})
    axis.set_yticks(range(1, len(runs) + 1), [run.name for run in runs])
    values = [v for row in data for v in row]
    wide = bool(values) and max(values) > 20 * min(values)
    if wide:  # a log scale only when one system is an order of magnitude slower than another
        axis.set_xscale("log")
        from matplotlib.ticker import FormatStrFormatter

        axis.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    scale = "log scale; " if wide else ""
    axis.set_xlabel(f"latency per question, ms ({scale}box: quartiles, whiskers: 5th–95th percentile)")
    for row, values in enumerate(data, start=1):
        if values:
            p50 = percentile(values, 50)
            axis.annotate(f"p50 {p50:.1f} ms", (p50, row + 0.3), fontsize=8, ha="center")
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out_dir / "latency.png", dpi=110)
    plt.close(figure)
    return "latency.png"


def _retrieval_plot(plt: Any, out_dir: Path, runs: Sequence[SystemRun]) -> str:
    figure, axis = plt.subplots(figsize=(7, 4))
    depths = list(range(1, 11))
    for run in runs:
        ranks = [r["retrieval_rank"] for r in run.records if "retrieval_rank" in r]
        if ranks:
            axis.plot(
                depths,
                [sum(1 for x in ranks if x is not None and x <= k) / len(ranks) for k in depths],
                marker="o",
                markersize=3,
                label=run.name,
            )
    axis.axvline(RECALL_K, color="grey", linestyle=":", linewidth=1)
    axis.set_xlabel("depth k (passages retrieved, before answering)")
    axis.set_ylabel("gold passage within the first k")
    axis.set_ylim(0, 1.02)
    axis.set_xticks(depths)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("Retrieval recall@k of the gold passage (answerable questions)")
    figure.tight_layout()
    figure.savefig(out_dir / "retrieval.png", dpi=110)
    plt.close(figure)
    return "retrieval.png"


def _calibration_plot(plt: Any, out_dir: Path, study: ThresholdStudy) -> str:
    figure, axis = plt.subplots(figsize=(8, 4))
    dev = study.chosen.curve
    thresholds = [s.threshold for s in dev]
    steps = {"drawstyle": "steps-pre"}  # the value at a threshold holds from the previous one up to it
    axis.plot(thresholds, [s.overall for s in dev], label="dev overall (chosen here)", **steps)
    axis.plot(thresholds, [s.has_ans for s in dev], linestyle="--", linewidth=1, label="dev has-ans", **steps)
    axis.plot(thresholds, [s.no_ans for s in dev], linestyle=":", linewidth=1, label="dev no-ans", **steps)
    if study.test_curve:
        axis.plot(
            [s.threshold for s in study.test_curve],
            [s.overall for s in study.test_curve],
            label="test overall (measured only)",
            **steps,
        )
    axis.axvline(
        study.chosen.best.threshold,
        color="green",
        linestyle="--",
        linewidth=1,
        label=f"chosen {study.chosen.best.threshold:.3f}",
    )
    axis.axvline(
        study.current_threshold,
        color="black",
        linestyle=":",
        linewidth=1,
        label=f"current {study.current_threshold:.3f}",
    )
    axis.set_xlabel("answer.min_confidence (refuse below)")
    axis.set_ylabel("share right")
    axis.set_ylim(0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower left")
    axis.set_title("Refusal threshold: SQuAD 2.0 overall score")
    figure.tight_layout()
    figure.savefig(out_dir / "calibration.png", dpi=110)
    plt.close(figure)
    return "calibration.png"
