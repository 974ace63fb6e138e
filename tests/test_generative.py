"""The optional generative mode against a local stub of an OpenAI-compatible endpoint (the only stub we allow)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.generative import NOT_IN_DOCUMENTS, build_prompt, supported
from bot.service import QuestionAnswerer, build_index
from bot.settings import AnswerSettings, LLMSettings
from tests.conftest import TINY_CORPUS, settings_for

pytestmark = pytest.mark.slow


class StubModel:
    """Replies like a chat model: by default the first sentence of passage [1], cited."""

    def __init__(self) -> None:
        self.reply: str | None = None
        self.prompts: list[str] = []

    def answer(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.reply is not None:
            return self.reply
        first = re.search(r'\[1\][^\n]*\n"""\n(.+?)(?<=[.!?])\s', prompt, re.DOTALL)
        return f"{first.group(1).strip() if first else 'Nothing.'} [1]"


@pytest.fixture()
def stub() -> Iterator[tuple[StubModel, str]]:
    model = StubModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            payload = {"id": "stub", "object": "chat.completion", "created": 0, "model": body["model"],
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": model.answer(prompt)}}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield model, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def tiny_index(embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    index = tmp_path_factory.mktemp("tiny-llm-index")
    build_index(settings_for(TINY_CORPUS, index), embedder)
    return index


def _answerer(embedder, index: Path, base_url: str) -> QuestionAnswerer:  # type: ignore[no-untyped-def]
    answer = AnswerSettings(mode="llm", llm=LLMSettings(base_url=base_url, model="stub", timeout_seconds=5))
    return QuestionAnswerer.open(settings_for(TINY_CORPUS, index, answer=answer), embedder)


def test_the_model_writes_a_cited_answer(embedder, tiny_index: Path, stub) -> None:  # type: ignore[no-untyped-def]
    model, url = stub
    answer = _answerer(embedder, tiny_index, url).ask("How much may a worker lift alone?")
    assert "25 kilograms" in answer.text and not answer.abstained
    assert answer.reason and "language model" in answer.reason
    assert answer.sentences[0].citation == 0 and "25 kilograms" in answer.citations[0].text
    prompt = model.prompts[-1]
    assert '"""' in prompt and "Question: How much may a worker lift alone?" in prompt


@pytest.mark.parametrize(
    "reply",
    [NOT_IN_DOCUMENTS, "Workers may lift 500 kilograms with their teeth.", "An uncited claim about lifting.",
     "Cranes are inspected hourly. [9]"],
)
def test_unchecked_model_answers_fall_back_to_extractive(embedder, tiny_index: Path, stub, reply: str) -> None:  # type: ignore[no-untyped-def]
    model, url = stub
    model.reply = reply
    answer = _answerer(embedder, tiny_index, url).ask("How much may a worker lift alone?")
    assert "25 kilograms" in answer.text
    assert "teeth" not in answer.text and "hourly" not in answer.text
    assert any(note in (answer.reason or "") for note in ("extractive answer given", "could not be checked"))


def test_an_unreachable_endpoint_still_answers(embedder, tiny_index: Path) -> None:  # type: ignore[no-untyped-def]
    answer = _answerer(embedder, tiny_index, "http://127.0.0.1:9/v1").ask("How much may a worker lift alone?")
    assert "25 kilograms" in answer.text and "did not answer" in (answer.reason or "")


def test_weak_evidence_is_refused_without_asking_the_model(embedder, tiny_index: Path, stub) -> None:  # type: ignore[no-untyped-def]
    model, url = stub
    answer = _answerer(embedder, tiny_index, url).ask("What is the recipe for chocolate cake?")
    assert answer.abstained and model.prompts == []


def test_llm_mode_without_an_endpoint_names_the_fix(embedder, tiny_index: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="base_url and model"):
        QuestionAnswerer.open(settings_for(TINY_CORPUS, tiny_index, answer=AnswerSettings(mode="llm")), embedder)


@pytest.mark.parametrize(
    ("sentence", "passage", "expected"),
    [("Workers may lift 25 kilograms alone.", "Workers may lift at most 25 kilograms alone.", True),
     ("Cranes are painted blue.", "Workers may lift at most 25 kilograms alone.", False)],
)
def test_supported(sentence: str, passage: str, expected: bool) -> None:
    assert supported(sentence, passage) is expected


def test_prompt_quotes_passages_as_data() -> None:
    assert build_prompt("Q?", ()) == "Passages:\n\n\n\nQuestion: Q?\nAnswer:"
