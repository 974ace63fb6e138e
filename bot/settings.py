"""One frozen settings object: defaults, then a TOML file, then `BOT_*` environment variables.

Only the entry points (CLI, app, eval runner) call `load_settings`; everything else is handed what it needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import TomlConfigSettingsSource

from bot.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("bot.toml")


class ChunkingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    max_words: int = Field(140, ge=30, le=400, description="Longest passage, in words, before it is split.")
    min_words: int = Field(25, ge=1, le=200, description="Shorter paragraphs join the next one in the section.")


class EmbeddingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    backend: Literal["torch", "onnx"] = Field(
        "onnx", description="onnx: ONNX Runtime over an export of the bundled weights (the same vectors to 1e-6, "
        "about 0.6x the time a question), made once, on first use, in `onnx_dir`; torch: sentence-transformers."
    )
    onnx_dir: Path | None = Field(
        None, description="Where the ONNX export is kept; by default an `onnx` folder inside the installed model."
    )
    sentence_vectors: Literal["separate", "pooled"] = Field(
        "pooled", description="pooled: each sentence's vector taken from its passage's own forward pass (one model "
        "input a passage; answers as good or better on every question set); separate: each sentence embedded on "
        "its own (about 4 texts a passage, about half the ingest speed)."
    )


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="hybrid: dense and BM25 fused; dense or lexical alone are for comparison."
    )
    top_k: int = Field(8, ge=1, le=50, description="Passages handed to the answerer.")
    candidates: int = Field(30, ge=1, le=500, description="Passages taken from each of dense and BM25.")
    rrf_k: int = Field(10, ge=1, description="Reciprocal rank fusion constant (small: the top ranks count most).")


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    provider: Literal["openai_like", "ollama"] = Field(
        "openai_like", description="openai_like: any OpenAI-compatible endpoint (vLLM, llama.cpp, LM Studio…)."
    )
    base_url: str | None = Field(None, description="The endpoint, e.g. http://127.0.0.1:11434 for Ollama.")
    model: str | None = Field(None, description="The model name the endpoint serves.")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="Key for endpoints that need one.")
    timeout_seconds: float = Field(60.0, gt=0, description="How long one answer may take.")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    mode: Literal["extractive", "llm"] = Field(
        "extractive", description="extractive: answers are sentences of the retrieved passages, each cited; "
        "llm: a language model you configure under [answer.llm] writes the answer from the same passages."
    )
    llm: LLMSettings = LLMSettings()
    max_sentences: int = Field(3, ge=1, le=10, description="Most sentences in one answer (lists may use all).")
    max_answer_words: int = Field(
        60, ge=10, description="Extra sentences join an answer only while it stays this short (lists excepted)."
    )
    min_confidence: float = Field(
        0.50, ge=0.0, le=3.0, description="Below this evidence score the answer says the documents don't say."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused politely.")


class LimitSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    max_request_bytes: int = Field(
        16_384, ge=1024, description="Largest API request body; bigger ones get 413 before they are read whole."
    )
    request_timeout_seconds: float = Field(
        20.0, gt=0, description="An API question that takes longer gets 504 (the answer is not kept waiting)."
    )
    answer_threads: int = Field(
        4, ge=1, le=64, description="Questions answered at once (API and chat share this many worker threads)."
    )
    chat_concurrency: int = Field(4, ge=1, le=64, description="Chat turns Gradio runs at once.")
    chat_queue_size: int = Field(
        200, ge=1, description="Chat turns waiting beyond that; more are told the queue is full."
    )
    max_comment_chars: int = Field(2000, ge=10, description="Longest feedback comment.")


class ConversationSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    max_turns: int = Field(
        8, ge=1, le=100, description="Turns kept per conversation for follow-up questions (older ones drop off)."
    )
    max_conversations: int = Field(
        1000, ge=1, description="Conversations kept in memory; the least recently used are forgotten first."
    )
    idle_seconds: float = Field(
        1800.0, gt=0, description="A conversation unused this long expires; a follow-up then starts afresh."
    )


class Settings(BaseSettings):
    """Every setting of the product. Nested values come from `BOT_ANSWER__MODE`-style variables."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="BOT_", env_nested_delimiter="__")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index.")
    index_dir: Path = Field(Path("index"), description="Folder of the built index.")
    auto_ingest: bool = Field(
        True, description="Update the index before answering when the corpus changed since it was built."
    )
    chroma_host: str | None = Field(None, description="Use a Chroma server at this host instead of index/.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    host: str = Field("127.0.0.1", description="Address the app binds.")
    port: int = Field(7860, ge=0, le=65535, description="Port the app serves on.")
    access_token: SecretStr | None = Field(
        None, description="Required when `host` is not a loopback address: the API's bearer token and the "
        "chat's login password (any user name). Set it with BOT_ACCESS_TOKEN, never in a committed file."
    )
    records_path: Path = Field(
        Path("records/records.sqlite3"), description="SQLite file of questions, answers and feedback."
    )
    limits: LimitSettings = LimitSettings()
    conversation: ConversationSettings = ConversationSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings() merges the file and the environment it is given; the class reads nothing by itself.
        return (init_settings,)


class _MappingEnvSource(EnvSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_settings(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the settings: defaults < TOML file (`path`, `$BOT_CONFIG` or ./bot.toml) < `BOT_*` < overrides."""
    environ = os.environ if environ is None else environ
    config_file = Path(path or environ.get("BOT_CONFIG") or DEFAULT_CONFIG_FILE)
    if (path or environ.get("BOT_CONFIG")) and not config_file.is_file():
        raise ConfigError(f"settings file {config_file} does not exist; create it or unset BOT_CONFIG")
    env = {k: v for k, v in environ.items() if k.upper().startswith("BOT_") and k.upper() != "BOT_CONFIG"}
    try:
        from_file = TomlConfigSettingsSource(Settings, toml_file=config_file)() if config_file.is_file() else {}
        from_env = _MappingEnvSource(Settings, env)()
        merged = _deep_merge(_deep_merge(from_file, from_env), {k: v for k, v in overrides.items() if v is not None})
        return Settings(**merged)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise ConfigError(f"invalid settings ({problems}); fix {config_file} or the BOT_* variables") from None
    except ValueError as error:
        raise ConfigError(f"invalid settings: {error}; fix {config_file} or the BOT_* variables") from None
