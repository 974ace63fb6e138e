"""The FastAPI app with the Gradio chat mounted: API routes, the chat handler, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import app as app_module
from bot.service import QuestionAnswerer
from bot.webview import markdown_text, sources_html
from tests.conftest import settings_for

pytestmark = pytest.mark.slow


@pytest.fixture()
def client(embedder, tiny_corpus: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = settings_for(tiny_corpus, tmp_path / "index")
    app_module.service.configure(settings)
    app_module.service._service = QuestionAnswerer.open(settings, embedder)
    with TestClient(app_module.create_app(settings)) as test_client:
        yield test_client
    app_module.service._service = None


def test_ask_returns_the_cli_fields(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "How much may a worker lift alone?"})
    assert response.status_code == 200
    body = response.json()
    assert "25 kilograms" in body["answer"] and body["abstained"] is False
    assert body["citations"][0]["source"] == "warehouse-page.html"


@pytest.mark.parametrize(
    ("payload", "status"),
    [({}, 422), ({"question": None}, 422), ({"question": ["a"]}, 422), ({"question": "hi", "form": "poem"}, 422)],
)
def test_bad_requests_get_4xx(client: TestClient, payload: dict, status: int) -> None:
    assert client.post("/api/ask", json=payload).status_code == status


def test_empty_question_gets_a_polite_answer(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "  "}).json()
    assert body["abstained"] and "Please type a question" in body["answer"]


def test_health_reports_the_index(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["ready"] is True and body["documents"] == 3 and body["passages"] > 0
    assert "MiniLM" in body["model"]


def test_chat_page_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/ask" in paths and "/api/health" in paths


def test_chat_turn_shows_answer_and_highlighted_source(client: TestClient) -> None:
    history, sources, cleared = app_module.respond("What does the quillometer count?", [])
    assert cleared == ""
    assert history[0] == {"role": "user", "content": "What does the quillometer count?"}
    assert "passengers" in history[1]["content"] and "\\[1\\]" in history[1]["content"]
    assert "<mark>" in sources and "River ferry notes" in sources


def test_document_and_question_text_is_never_markup() -> None:
    assert markdown_text("<script>alert(1)</script> **bold** [x](http://e)") == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*\\*bold\\*\\* \\[x\\]\\(http://e\\)")
    from bot.types import Answer, Citation, Span

    citation = Citation("p", "d", "<img src=x onerror=alert(1)> text", "<b>T</b>", "d", None, None, 0, 10, 1.0,
                        highlights=(Span(0, 5),))
    html = sources_html(Answer("a", (), (citation,), False))
    assert "<img" not in html and "<b>T</b>" not in html and "&lt;img" in html
