"""Material for the benchmark: more documents than the seed corpus holds, and passages by the hundred thousand.

- `derive_documents`: copies of the corpus's text files with the sentences of each paragraph shuffled, so
  they are new files (not skipped as duplicates) with the same lengths and structure as the real ones. They
  are embedded for real: the ingestion throughput is measured on them.
- `derive_passages`: N passages made from real ones (their vectors and sentence vectors jittered, a few
  made-up words added to each section so the vocabulary grows with N as a real corpus's does), to measure
  the index side at sizes whose embedding would take an hour.

Both write only into the temporary folder they are given; nothing derived is ever committed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.types import Passage

TEXT_SUFFIXES = (".txt", ".md")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")
PASSAGES_PER_DOCUMENT = 20
JITTER = 0.35  # norm of the noise added to a unit vector: a derived vector keeps cosine ≈ 0.94 with its source
SYLLABLES = ("ka", "lo", "mi", "ten", "ru", "sa", "vo", "ne", "di", "pra", "ku", "zel", "ba", "to", "fen", "gu")


def derive_documents(corpus_dir: Path, target: Path, copies: int, seed: int = 0) -> list[Path]:
    """Write `copies` shuffled variants of every .txt/.md file of `corpus_dir` into `target`."""
    rng = random.Random(seed)
    sources = sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.suffix.lower() in TEXT_SUFFIXES and p.is_file() and p.name.lower() != "readme.md"
    )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for copy in range(copies):
        for source in sources:
            lines = source.read_text(encoding="utf-8").splitlines()
            shuffled = [_shuffle_sentences(line, rng) for line in lines]
            path = target / f"{source.stem}-copy{copy:03d}{source.suffix}"
            path.write_text("\n".join(shuffled) + "\n", encoding="utf-8")
            written.append(path)
    return written


def _shuffle_sentences(line: str, rng: random.Random) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    sentences = SENTENCE_END.split(line.strip())
    if len(sentences) < 2:
        return line
    rng.shuffle(sentences)
    return indent + " ".join(sentences)


@dataclass(frozen=True)
class Derived:
    """Passages with their vectors, in the shape `bot.store.BuildContents` takes."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray


def derive_passages(real: Derived, count: int, seed: int = 0) -> Derived:
    """`count` passages cycled from `real`, each with jittered vectors and its own made-up section words.

    The made-up words come from a pool as large as `count`, so a 100k index has a vocabulary about as
    large as a real 100k-passage collection would (Heaps' law puts it at 10⁵ words and more).
    """
    rng = np.random.default_rng(seed)
    sources = np.arange(count) % len(real.passages)
    sentence_offsets = np.concatenate([[0], np.cumsum([len(p.sentences) for p in real.passages])])
    words = _pseudo_words(rng.integers(0, count, size=(count, 2)))
    passages = []
    sentence_rows = []
    for i, source in enumerate(sources):
        original = real.passages[int(source)]
        section = " ".join(filter(None, (original.section, words[i])))
        passages.append(
            replace(
                original,
                passage_id=f"d{i:07d}",
                doc_id=f"derived/doc-{i // PASSAGES_PER_DOCUMENT:05d}.txt",
                section=section,
                meta=replace(original.meta, title=f"{original.meta.title} ({i // PASSAGES_PER_DOCUMENT})"),
            )
        )
        sentence_rows.append(np.arange(sentence_offsets[source], sentence_offsets[source + 1]))
    rows = np.concatenate(sentence_rows) if sentence_rows else np.zeros(0, dtype=np.int64)
    return Derived(passages, _jitter(real.passage_vectors[sources], rng), _jitter(real.sentence_vectors[rows], rng))


def _jitter(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit float32 vectors near the given ones (float32 as the product stores them: half the bytes of float64)."""
    if len(vectors) == 0:
        return vectors.astype(np.float32)
    scale = np.float32(JITTER / np.sqrt(vectors.shape[1]))
    jittered = vectors.astype(np.float32) + rng.standard_normal(vectors.shape, dtype=np.float32) * scale
    jittered /= np.linalg.norm(jittered, axis=1, keepdims=True)
    return jittered.astype(np.float32, copy=False)


def _pseudo_words(numbers: np.ndarray) -> list[str]:
    return [" ".join(_pseudo_word(int(n)) for n in row) for row in numbers]


def _pseudo_word(number: int) -> str:
    letters = []
    number += len(SYLLABLES) ** 2  # at least three syllables: never a real short word
    while number:
        number, digit = divmod(number, len(SYLLABLES))
        letters.append(SYLLABLES[digit])
    return "".join(letters)
