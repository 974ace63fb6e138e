"""`python -m bot ingest` and `python -m bot ask`: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.errors import BotError
from bot.settings import load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Cited answers from the OSH documents."
    )
    parser.add_argument("--config", type=Path, help="settings file (TOML); default ./bot.toml if present")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is happening")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="build or update the index from the corpus folder")
    ingest.add_argument("--corpus", type=Path, help="folder of documents (default: corpus/)")
    ingest.add_argument("--index", type=Path, help="index folder (default: index/)")
    ingest.add_argument(
        "--rebuild", action="store_true", help="re-embed everything, even unchanged documents"
    )
    ask = commands.add_parser("ask", help="answer one question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--corpus", type=Path, help="folder of documents (default: corpus/)")
    ask.add_argument("--index", type=Path, help="index folder (default: index/)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    records = commands.add_parser("records", help="the records of questions, answers and feedback")
    records_commands = records.add_subparsers(dest="records_command", required=True)
    export = records_commands.add_parser(
        "export",
        help="write the feedback as JSON lines (question, answer, verdict, comment, …) for review "
        "and for `python -m eval --from-feedback FILE`",
    )
    export.add_argument("file", type=Path)
    export.add_argument("--records", type=Path, help="records database (default: records_path setting)")
    export.add_argument("--all", action="store_true", help="also answers nobody rated (verdict 'unrated')")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "ingest" else logging.WARNING,
        format="%(message)s",
    )
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    try:
        settings = load_settings(
            args.config, corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None)
        )
        if args.command == "ingest":
            return _ingest(settings, args.rebuild)
        if args.command == "records":
            return _export_records(args.records or settings.records_path, args.file, args.all)
        return _ask(settings, args.question, args.json)
    except BotError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _ingest(settings, rebuild: bool) -> int:  # type: ignore[no-untyped-def]
    from bot.documents import discover
    from bot.embedding import bundled_model_id, open_embedder
    from bot.ingest import index_is_current, ingest_lock
    from bot.service import build_index

    discover(settings.corpus_dir)  # a missing or misconfigured corpus is reported before the model loads
    if not rebuild and not settings.chroma_host:
        with ingest_lock(settings.index_dir):  # another ingest at work is reported, not taken for "up to date"
            current = index_is_current(settings.corpus_dir, settings.index_dir,
                                       bundled_model_id(sentence_vectors=settings.embedding.sentence_vectors),
                                       settings.chunking)
        if current:
            print(f"index already up to date ({settings.index_dir}/ matches {settings.corpus_dir}/); nothing to embed")
            return 0
    embedder = open_embedder(settings.embedding)
    report = build_index(settings, embedder, rebuild=rebuild)
    print(report.summary())
    return 0


def _ask(settings, question: str, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    from bot.formatting import answer_to_json, answer_to_text
    from bot.service import QuestionAnswerer

    answerer = QuestionAnswerer.open(settings)
    answer = answerer.ask(question)
    print(
        json.dumps(answer_to_json(answer), ensure_ascii=False, indent=1)
        if as_json
        else answer_to_text(answer)
    )
    return 0


def _export_records(database: Path, target: Path, include_unrated: bool) -> int:
    from bot.errors import ConfigError
    from bot.records import RecordStore

    if not database.is_file():
        raise ConfigError(f"no records database at {database}; run the app first or pass --records PATH")
    store = RecordStore(database)
    try:
        count = store.export(target, include_unrated)
    except OSError as error:
        raise ConfigError(f"cannot write {target} ({error}); choose another file") from None
    finally:
        store.close()
    print(f"wrote {count} record{'s' if count != 1 else ''} to {target}")
    return 0
