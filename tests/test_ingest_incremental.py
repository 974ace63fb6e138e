"""Incremental ingest: unchanged files cost nothing, a new model or chunking re-embeds everything, and what an
interrupted ingest left behind is cleaned up. A fake embedder stands in for the model, which is not tested."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.ingest import ingest
from bot.settings import ChunkingSettings
from bot.store import MANIFEST_FILE, ChromaConnector, IndexFolder, load_passages, read_manifest
from tests.fakes import HashingEmbedder


def _ingest(corpus: Path, index: Path, embedder: HashingEmbedder, chunking: ChunkingSettings | None = None,
            **options: object):  # type: ignore[no-untyped-def]
    return ingest(corpus, index, embedder, chunking or ChunkingSettings(), ChromaConnector(), **options)  # type: ignore[arg-type]


def _live(index: Path) -> Path:
    build = IndexFolder(index).current_build()
    assert build is not None
    return build


def test_unchanged_corpus_embeds_nothing_and_keeps_the_live_build(tiny_corpus: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    first = _ingest(tiny_corpus, tmp_path / "index", embedder)
    assert first.embedded == embedder.embedded > 0
    build = _live(tmp_path / "index")
    again = _ingest(tiny_corpus, tmp_path / "index", embedder)
    assert again.up_to_date and again.embedded == 0 and embedder.embedded == first.embedded
    assert _live(tmp_path / "index") == build
    assert again.passages == first.passages


def test_one_changed_file_embeds_only_its_passages(tiny_corpus: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    _ingest(tiny_corpus, tmp_path / "index", embedder)
    before = {p.passage_id for p in load_passages(_live(tmp_path / "index"))}
    with (tiny_corpus / "harbour-cranes.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nCrane cabins are inspected every quarter by the harbour engineer on duty.\n")
    embedder.embedded = 0
    report = _ingest(tiny_corpus, tmp_path / "index", embedder)
    assert report.updated == ("harbour-cranes.txt",)
    assert report.unchanged == ("river-ferries.md", "warehouse-page.html")
    passages = load_passages(_live(tmp_path / "index"))
    changed = [p for p in passages if p.doc_id == "harbour-cranes.txt"]
    assert embedder.embedded == sum(1 + len(p.sentences) for p in changed)
    assert {p.passage_id for p in passages if p.doc_id != "harbour-cranes.txt"} <= before


@pytest.mark.parametrize(
    ("embedder", "chunking", "rebuild"),
    [
        (HashingEmbedder(), ChunkingSettings(max_words=60, min_words=10), False),
        (HashingEmbedder(model_id="test/another-model@2"), None, False),
        (HashingEmbedder(), None, True),
    ],
    ids=["new chunking", "new model", "--rebuild"],
)
def test_a_new_model_or_chunking_re_embeds_everything(tiny_corpus: Path, tmp_path: Path, embedder: HashingEmbedder,
                                                      chunking: ChunkingSettings | None, rebuild: bool) -> None:
    first = _ingest(tiny_corpus, tmp_path / "index", HashingEmbedder())
    report = _ingest(tiny_corpus, tmp_path / "index", embedder, chunking, rebuild=rebuild)
    passages = load_passages(_live(tmp_path / "index"))
    assert report.embedded == embedder.embedded == sum(1 + len(p.sentences) for p in passages)
    assert report.unchanged == tuple(sorted(first.added)) and not report.added and not report.updated
    manifest = read_manifest(_live(tmp_path / "index"))
    assert (manifest.model_id, manifest.passage_count) == (embedder.model_id, len(passages))


def test_passage_ids_are_stable_across_rebuilds(tiny_corpus: Path, tmp_path: Path) -> None:
    _ingest(tiny_corpus, tmp_path / "index", HashingEmbedder())
    first = [p.passage_id for p in load_passages(_live(tmp_path / "index"))]
    _ingest(tiny_corpus, tmp_path / "index", HashingEmbedder(), rebuild=True)
    assert [p.passage_id for p in load_passages(_live(tmp_path / "index"))] == first


def test_summary_names_added_updated_removed_and_skipped(tiny_corpus: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    _ingest(tiny_corpus, tmp_path / "index", embedder)
    (tiny_corpus / "river-ferries.md").write_text("# Ferries\n\nThe gangplank alarm is orange.\n", encoding="utf-8")
    (tiny_corpus / "harbour-cranes.txt").unlink()
    (tiny_corpus / "boilers.txt").write_text("Boiler rooms need a carbon monoxide alarm.\n", encoding="utf-8")
    (tiny_corpus / "empty.txt").write_bytes(b"")
    summary = _ingest(tiny_corpus, tmp_path / "index", embedder).summary()
    assert "added 1, updated 1, removed 1, unchanged 1, skipped 1" in summary
    assert "  added: boilers.txt" in summary
    assert "  updated: river-ferries.md" in summary
    assert "  removed: harbour-cranes.txt" in summary
    assert "  skipped empty.txt: empty file" in summary


def test_leftovers_of_an_interrupted_ingest_are_cleaned_up(tiny_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    _ingest(tiny_corpus, index, HashingEmbedder())
    live = _live(index)
    unfinished = index / "build-20990101-000000-dead01"  # killed while writing: no manifest
    (unfinished / "chroma").mkdir(parents=True)
    (unfinished / "passages.jsonl").write_text("{}", encoding="utf-8")
    never_switched = index / "build-20990101-000001-dead02"  # killed between the manifest and the switch
    shutil.copytree(live, never_switched)
    manifest = json.loads((live / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["built_at"] += 60
    (never_switched / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    (index / ".CURRENT.0123abcd").write_text("build-x", encoding="utf-8")

    report = _ingest(tiny_corpus, index, HashingEmbedder())
    assert report.up_to_date
    assert set(report.cleaned) == {unfinished.name, never_switched.name}
    assert "cleaned up 2 unfinished build(s)" in report.summary()
    assert sorted(p.name for p in index.iterdir() if not p.name.startswith(".ingest")) == ["CURRENT", live.name]
    assert _live(index) == live


def test_progress_bars_only_when_asked_or_on_a_terminal(tiny_corpus: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _ingest(tiny_corpus, tmp_path / "quiet", HashingEmbedder())  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""
    _ingest(tiny_corpus, tmp_path / "shown", HashingEmbedder(), progress=True)
    err = capsys.readouterr().err
    assert "reading" in err and "embedding" in err and "3/3" in err


def test_pooled_sentence_vectors_embed_each_passage_once_and_replace_a_separate_build(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    from bot.embedding import MiniLMEmbedder

    separate_id = MiniLMEmbedder(lazy=True, sentence_vectors="separate").model_id
    separate = _ingest(tiny_corpus, tmp_path / "index", HashingEmbedder(model_id=separate_id))
    report = _ingest(tiny_corpus, tmp_path / "index", MiniLMEmbedder(sentence_vectors="pooled"))  # type: ignore[arg-type]
    passages = load_passages(_live(tmp_path / "index"))
    assert report.unchanged == tuple(sorted(separate.added))  # re-embedded: the model id says how sentences were
    assert report.passages <= report.embedded < sum(1 + len(p.sentences) for p in passages)
    assert report.embedded == len(passages)  # no tiny passage is longer than the model's 256 tokens
