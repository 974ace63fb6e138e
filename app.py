"""The chat (Gradio, at /) and the JSON API (/api/…) in one FastAPI app. `python app.py --host H --port P`.

This file only wires the UI and the API to `bot`: answering, conversations and records are in
`bot.serving`, the API in `bot.api`, what the chat shows in `bot.webview`.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import gradio as gr
from fastapi import FastAPI

from bot.access import check_exposure, token_matches
from bot.api import create_api
from bot.errors import BotError
from bot.records import VERDICTS
from bot.serving import DeskHolder
from bot.settings import Settings, load_settings
from bot.webview import (
    CSS,
    answer_markdown,
    not_ready_markdown,
    question_markdown,
    sources_html,
    status_html,
)

log = logging.getLogger("app")

EXAMPLES = [
    "Who implements the OSH partnership?",
    "How many inspections were conducted in Dhaka?",
    "Which countries fund the Advancing Decent Work project?",
    "When did the Improving Fire and General Building Safety project end?",
]
# Chatbot feedback icons: "Like"/"Dislike" are thumbs, others sit under a flag.
FEEDBACK_VERDICTS = {"Like": "helpful", "Dislike": "wrong", "Incomplete": "incomplete"}

desk = DeskHolder()  # empty until an entry point configures it: nothing is loaded at import time

ChatState = dict[str, Any]  # {"conversation_id": str | None, "answers": {message index: answer_id}}


def respond(
    message: Any, history: list[dict[str, Any]] | None, state: ChatState | None = None
) -> tuple[list[dict[str, Any]], str, str, str, ChatState]:
    """One chat turn: history with question and answer, sources panel, status, an emptied box, state."""
    history = list(history or [])
    state = dict(state or {})
    answers = dict(state.get("answers") or {})
    question = message if isinstance(message, str) else ""
    history.append({"role": "user", "content": question_markdown(question)})
    try:
        reply = desk.get().ask(question, "chat", state.get("conversation_id"), "chat")
    except BotError as error:
        history.append({"role": "assistant", "content": not_ready_markdown(str(error))})
        return history, "", status_html(None, str(error)), "", state
    history.append({"role": "assistant", "content": answer_markdown(reply.answer)})
    if reply.answer_id:
        answers[len(history) - 1] = reply.answer_id
    state.update(conversation_id=reply.conversation_id, answers=answers, last=reply.answer_id)
    return history, sources_html(reply.answer), status_html(reply.answer), "", state


def record_like(state: ChatState | None, like: gr.LikeData) -> str:
    """Thumbs up/down (or the flag's 'Incomplete') on an answer go to the records."""
    index = like.index if isinstance(like.index, int) else like.index[0]
    answer_id = (state or {}).get("answers", {}).get(index)
    verdict = FEEDBACK_VERDICTS.get(str(like.liked), "helpful" if like.liked is True else "wrong")
    return _feedback(answer_id, verdict, "")


def record_comment(state: ChatState | None, verdict: str, comment: str) -> tuple[str, str]:
    """A verdict and comment on the latest answer."""
    return _feedback((state or {}).get("last"), verdict, comment or ""), ""


def _feedback(answer_id: str | None, verdict: str, comment: str) -> str:
    if not answer_id:
        return "Ask a question first; feedback is kept with an answer."
    if verdict not in VERDICTS:
        return "Choose helpful, wrong or incomplete."
    limit = desk.settings.limits.max_comment_chars
    try:
        desk.records().add_feedback(answer_id, verdict, comment.strip()[:limit])
    except BotError as error:
        return f"Feedback not saved: {error}"
    return f"Thank you: recorded as {verdict}."


def new_conversation() -> tuple[list[dict[str, Any]], str, str, ChatState]:
    return [], "", "", {}


with gr.Blocks(title="OSH documents assistant") as demo:
    gr.Markdown(
        "### Ask the OSH and labour-inspection documents\nEvery answer quotes the passage it was taken from; "
        'when the documents don\'t say, the assistant says so. Follow-up questions ("and when did it end?") '
        "refer to the conversation so far."
    )
    chat_state = gr.State({})
    chatbot = gr.Chatbot(
        label="Answers",
        height=380,
        sanitize_html=True,
        latex_delimiters=[],
        allow_tags=False,
        allow_file_downloads=False,
        buttons=["copy"],
        feedback_options=tuple(FEEDBACK_VERDICTS),
        elem_id="answers",
    )
    status = gr.HTML(elem_id="status")
    question_box = gr.Textbox(
        label="Your question",
        placeholder="e.g. Who implements the OSH partnership?",
        max_length=2000,
        submit_btn=True,
        elem_id="question",
    )
    with gr.Row():
        gr.Examples(EXAMPLES, inputs=question_box)
        new_button = gr.Button("New conversation", size="sm", scale=0)
    sources = gr.HTML(elem_id="sources")
    with gr.Accordion("Comment on the last answer", open=False):
        verdict_choice = gr.Radio(list(VERDICTS), value="incomplete", label="The answer was")
        comment_box = gr.Textbox(label="What was wrong or missing?", max_length=2000, lines=2)
        comment_button = gr.Button("Send", size="sm")
    feedback_note = gr.Markdown(elem_id="feedback-note")

    question_box.submit(
        respond,
        inputs=[question_box, chatbot, chat_state],
        outputs=[chatbot, sources, status, question_box, chat_state],
        api_visibility="private",  # programs use /api/ask; this one is the page's own
    )
    chatbot.like(record_like, inputs=[chat_state], outputs=[feedback_note], api_visibility="private")
    comment_button.click(
        record_comment,
        inputs=[chat_state, verdict_choice, comment_box],
        outputs=[feedback_note, comment_box],
        api_visibility="private",
    )
    new_button.click(new_conversation, outputs=[chatbot, sources, status, chat_state], api_visibility="private")


def create_app(settings: Settings) -> FastAPI:
    """The API routes with the chat mounted at /, limited as the settings say."""
    if desk.settings_or_none is not settings:
        desk.configure(settings)
    api = create_api(desk, settings)
    limits = settings.limits
    # Gradio's defaults are one chat turn at a time and an unbounded queue: set both for many callers.
    demo.max_threads = max(limits.chat_concurrency, 4)
    demo.queue(default_concurrency_limit=limits.chat_concurrency, max_size=limits.chat_queue_size, api_open=False)
    auth = None
    if settings.access_token is not None:

        def auth(username: str, password: str) -> bool:
            return token_matches(password, settings)

    blocked = [str(path.resolve()) for path in (settings.corpus_dir, settings.index_dir, settings.records_path.parent)]
    return gr.mount_gradio_app(
        api,
        demo,
        path="/",
        css=CSS,
        footer_links=[],
        auth=auth,
        auth_message="Sign in with any user name and the access token as the password.",
        blocked_paths=blocked,
        allowed_paths=[],
        max_file_size="1mb",
        show_error=False,
        run_history=False,
        mcp_server=False,
        ssr_mode=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the chat and the API.")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; any other needs BOT_ACCESS_TOKEN)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--config", help="settings file (TOML)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
        check_exposure(settings)
        app = create_app(settings)
        desk.records()
    except BotError as error:
        print(f"error: {error}")
        return 1
    try:
        desk.get()  # load the model and the index before the first visitor
    except BotError as error:  # e.g. the Chroma server is not up yet: serve, say so, and retry per request
        log.warning("not ready yet: %s; /api/health says so until it is fixed", error)
    import uvicorn

    log.info("serving the chat at http://%s:%d/ and the API at /api (see /docs)", settings.host, settings.port)
    # Keep-alive longer than uvicorn's 5 s, so busy callers reusing a connection do not race its closing.
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False, timeout_keep_alive=30
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
