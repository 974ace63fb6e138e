"""The JSON API: `POST /api/ask`, `POST /api/feedback`, `GET /api/health`, described at /docs.

Every error is JSON `{"detail": "..."}` with a message that says what to change: 4xx for the request,
503 when the index or the Chroma server is not there (with the reason), 504 when an answer takes longer
than `limits.request_timeout_seconds`. Input is never echoed into an error, and no traceback is sent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Literal

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.access import bearer_token, token_matches
from bot.errors import BotError, QuestionError
from bot.formatting import answer_to_json
from bot.records import UnknownAnswerError
from bot.serving import DeskHolder, Reply
from bot.settings import Settings

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question, in words.")
    form: Literal["chat", "speakable"] = Field(
        "chat",
        description="chat: the answer with citations; speakable: two or three plain sentences to read aloud.",
    )
    conversation_id: str | None = Field(
        None,
        max_length=64,
        description="Send back the conversation_id of an earlier answer to ask a follow-up "
        "('and when does it end?'); leave it out to start a new conversation.",
    )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(..., max_length=64, description="The answer_id that /api/ask returned.")
    verdict: Literal["helpful", "wrong", "incomplete"] = Field(
        ..., description="What you thought of the answer."
    )
    comment: str = Field("", description="What was wrong or missing (optional).")


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """The fields of `python -m bot ask --json`, with the form's text as `answer` and the conversation."""
    body = answer_to_json(reply.answer)
    body.update(
        answer=reply.text,
        form=reply.form,
        conversation_id=reply.conversation_id,
        answer_id=reply.answer_id,
        resolved_question=reply.resolved_question,
    )
    return body


def status_of(error: BotError) -> int:
    if isinstance(error, QuestionError):
        return 422
    if isinstance(error, UnknownAnswerError):
        return 404
    return 503


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, whether or not they announce their length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _send_json(
                send, 413, f"the request is larger than {self.limit} bytes; send a shorter question"
            )
            return
        received = 0
        too_big = False
        replaced = False

        async def counting_receive() -> Message:
            nonlocal received, too_big
            if too_big:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # stop reading; the response becomes a 413 below
                    too_big = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def replacing_send(message: Message) -> None:
            nonlocal replaced
            if not too_big:
                await send(message)
            elif not replaced:
                replaced = True
                await _send_json(send, 413, f"the request is larger than {self.limit} bytes; send a shorter question")

        await self.app(scope, counting_receive, replacing_send)


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = JSONResponse({"detail": detail}, status_code=status).body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        if item.get("type") == "json_invalid":
            problems.append("the body is not valid JSON")
        elif item.get("type") == "missing":
            problems.append(f"{where} is missing")
        elif item.get("type") == "extra_forbidden":
            problems.append(f"{where} is not a field this route knows")
        else:
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return (
        "; ".join(dict.fromkeys(problems))
        + ' (send e.g. {"question": "Who implements the OSH partnership?"})'
    )


def create_api(holder: DeskHolder, settings: Settings) -> FastAPI:
    """The API routes; the chat is mounted on the same app by `app.py`."""
    api = FastAPI(
        title="OSH documents assistant",
        description="Cited answers from the OSH and labour-inspection documents. "
        "With an access token configured, send it as `Authorization: Bearer <token>`.",
    )
    limiter = anyio.CapacityLimiter(settings.limits.answer_threads)
    timeout = settings.limits.request_timeout_seconds

    async def authorised(request: Request) -> None:  # async: a plain function would cost a thread hop per request
        if not token_matches(bearer_token(request.headers.get("authorization")), settings):
            raise ApiError(401, "missing or wrong access token; send `Authorization: Bearer <token>`")

    async def in_worker(function: Any, *args: Any) -> Any:
        try:
            return await asyncio.wait_for(anyio.to_thread.run_sync(function, *args, limiter=limiter), timeout)
        except TimeoutError:
            raise ApiError(
                504, f"no answer within {timeout:g} seconds; try again, or ask a shorter question"
            ) from None

    @api.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse({"detail": error.detail}, status_code=error.status, headers=headers)

    @api.exception_handler(BotError)
    async def bot_error(request: Request, error: BotError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status_of(error))

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(error)}, status_code=422)

    @api.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:8]
        log.exception("unexpected error %s on %s", reference, request.url.path)
        return JSONResponse(
            {"detail": f"the server failed on this request (reference {reference} in its log); try again"},
            status_code=500,
        )

    @api.post("/api/ask", dependencies=[Depends(authorised)], response_model=dict[str, Any])
    async def ask(request: AskRequest) -> JSONResponse:
        """Answer a question with cited passages, or in a form to read aloud."""

        def answer() -> JSONResponse:
            reply = holder.get().ask(request.question, request.form, request.conversation_id, "api")
            return JSONResponse(reply_to_json(reply))  # plain JSON values already: no response model to check

        return await in_worker(answer)

    @api.post("/api/feedback", dependencies=[Depends(authorised)])
    async def feedback(request: FeedbackRequest) -> dict[str, Any]:
        """Say whether an answer helped; kept with the answer in the records."""
        limit = settings.limits.max_comment_chars
        if len(request.comment) > limit:
            raise ApiError(422, f"the comment is {len(request.comment):,} characters; the limit is {limit:,}")
        comment = "".join(ch for ch in request.comment if ch.isprintable() or ch in "\n\t").strip()
        await in_worker(holder.records().add_feedback, request.answer_id, request.verdict, comment)
        return {"recorded": True, "answer_id": request.answer_id, "verdict": request.verdict}

    @api.get("/api/health", dependencies=[Depends(authorised)])
    async def health() -> JSONResponse:
        """Ready or not (and what to do), the documents and passages, the model, the index's age."""
        report = await in_worker(holder.health)
        return JSONResponse(report.__dict__, status_code=200 if report.ready else 503)

    api.add_middleware(BodyLimit, limit=settings.limits.max_request_bytes)
    return api
