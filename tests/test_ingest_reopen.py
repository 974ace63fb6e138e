"""An index of several thousand passages opens and answers in a new process (chromadb 1.5.9 was reported to fail
loading its HNSW index after a restart past about 1,000 items: chroma-core/chroma issue 7090)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chunking import chunking_fingerprint
from bot.ingest import ingest
from bot.settings import ChunkingSettings
from bot.store import ChromaConnector, IndexFolder, read_manifest
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder

pytestmark = pytest.mark.slow

FILES, PARAGRAPHS = 60, 55
SITES = ("dock", "mill", "foundry", "tannery", "quarry", "depot", "kiln", "shipyard", "spinning floor", "warehouse")

REOPEN = """
import json, sys
from pathlib import Path
import numpy as np
from bot.store import ChromaConnector, open_index
root, model_id, chunking, probes = Path(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
index = open_index(root, ChromaConnector(), model_id, chunking)
found = index.collection.query(query_embeddings=index.passage_vectors[probes], n_results=1, include=[])
print(json.dumps({"count": index.collection.count(), "top": [ids[0] for ids in found["ids"]],
                  "expected": [index.passages[row].passage_id for row in probes]}))
"""


def _write_corpus(folder: Path) -> None:
    folder.mkdir()
    for number in range(FILES):
        paragraphs = []
        for item in range(PARAGRAPHS):
            site = SITES[(number + item) % len(SITES)]
            paragraphs.append(
                f"Inspection report {number}-{item} covers the {site} in district {number * PARAGRAPHS + item}. "
                f"Inspector number {item + 7} found {item % 9 + 1} open hazards near the loading area and "
                f"ordered repairs within {item % 5 + 2} weeks. The follow-up visit is booked for week {item + 3} "
                f"of year {2000 + number}."
            )
        (folder / f"inspections-{number:03d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def test_several_thousand_passages_reopen_in_a_new_process(tmp_path: Path) -> None:
    _write_corpus(tmp_path / "corpus")
    embedder, chunking = HashingEmbedder(), ChunkingSettings()
    report = ingest(tmp_path / "corpus", tmp_path / "index", embedder, chunking, ChromaConnector())
    assert report.passages >= 3000
    build = IndexFolder(tmp_path / "index").current_build()
    assert build is not None and read_manifest(build).passage_count == report.passages

    probes = [0, 999, 1000, 1001, 2047, report.passages // 2, report.passages - 1]
    command = [sys.executable, "-c", REOPEN, str(tmp_path / "index"), embedder.model_id,
               chunking_fingerprint(chunking), json.dumps(probes)]
    for _ in range(2):  # a second reopen reads what the first one may have written back
        completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
        assert completed.returncode == 0, completed.stderr[-2000:]
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        assert result["count"] == report.passages
        assert result["top"] == result["expected"]
