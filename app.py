"""The chat (Gradio, at /) and the JSON API (/api/…) in one FastAPI app. `python app.py --host H --port P`."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any, Literal

import gradio as gr
from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bot.errors import BotError
from bot.formatting import answer_to_json
from bot.service import QuestionAnswerer
from bot.settings import Settings, load_settings
from bot.webview import answer_markdown, sources_html

log = logging.getLogger("app")

EXAMPLES = [
    "Who implements the OSH partnership?",
    "How many inspections were conducted in Dhaka?",
    "Which countries fund the Advancing Decent Work project?",
    "When did the Improving Fire and General Building Safety project end?",
]
CSS = """
.sources mark { background: #fff1a8; }
.sources .passage { white-space: normal; margin: 0.2em 0 0.8em 0; color: #333; }
.sources .source-title { font-size: 0.9em; color: #555; }
"""


class ServiceHolder:
    """Opens the question answerer once, on first use, with the settings the entry point gave it."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._service: QuestionAnswerer | None = None
        self._lock = threading.Lock()

    def configure(self, settings: Settings) -> None:
        self._settings = settings

    def get(self) -> QuestionAnswerer:
        with self._lock:
            if self._service is None:
                self._service = QuestionAnswerer.open(self._settings or load_settings())
            return self._service


service = ServiceHolder()


def respond(message: str, history: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], str, str]:
    """One chat turn: the history with the question and answer added, the sources panel, an empty box."""
    history = list(history or [])
    answer = service.get().ask(message)
    history.append({"role": "user", "content": message})
    history.append({"role": "assistant", "content": answer_markdown(answer)})
    return history, sources_html(answer), ""


with gr.Blocks(title="OSH documents assistant") as demo:
    gr.Markdown("### Ask the OSH and labour-inspection documents\nEvery answer quotes the passage it was "
                "taken from; when the documents don't say, the assistant says so.")
    chatbot = gr.Chatbot(label="Answers", height=380, sanitize_html=True, feedback_options=None)
    question_box = gr.Textbox(label="Your question", placeholder="e.g. Who implements the OSH partnership?",
                              max_length=4000, submit_btn=True)
    sources = gr.HTML(elem_id="sources")
    gr.Examples(EXAMPLES, inputs=question_box)
    question_box.submit(respond, inputs=[question_box, chatbot], outputs=[chatbot, sources, question_box],
                        api_name="ask")


class AskRequest(BaseModel):
    question: str = Field(..., description="The question, in words.")
    form: Literal["chat"] = Field("chat", description="chat: the answer with citations.")


def create_app(settings: Settings) -> FastAPI:
    """The API routes with the chat mounted at /."""
    service.configure(settings)
    api = FastAPI(title="OSH documents assistant", description="Cited answers from the OSH documents.")

    @api.post("/api/ask")
    async def ask(request: AskRequest) -> dict[str, Any]:
        try:
            answer = await run_in_threadpool(service.get().ask, request.question)
        except BotError as error:
            raise HTTPException(status_code=503, detail=str(error)) from None
        return answer_to_json(answer)

    @api.get("/api/health")
    async def health() -> dict[str, Any]:
        try:
            report = await run_in_threadpool(lambda: service.get().health())
        except BotError as error:
            return {"ready": False, "detail": str(error)}
        return report.__dict__

    demo.queue(default_concurrency_limit=2, max_size=64)
    return gr.mount_gradio_app(api, demo, path="/", css=CSS, footer_links=[])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the chat and the API.")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--config", help="settings file (TOML)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
    except BotError as error:
        print(f"error: {error}")
        return 1
    import uvicorn

    app = create_app(settings)
    service.get()  # load the model and the index before the first visitor
    log.info("serving the chat at http://%s:%d/", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
