"""The errors the product raises; each message says what to do next."""


class BotError(Exception):
    """Base of every error the product reports to a user (CLI: one line, exit 1; API: 4xx/503)."""


class ConfigError(BotError):
    """A setting is missing or invalid."""


class IndexNotBuiltError(BotError):
    """There is no usable index where the settings point."""


class ModelMismatchError(BotError):
    """The index was built with another embedding model or chunker than the running one."""


class ModelIntegrityError(BotError):
    """The bundled embedding model's weights are missing or are not the expected file."""


class DocumentError(BotError):
    """A document could not be read; ingestion skips it and reports the reason."""


class IndexBusyError(BotError):
    """Another process is writing the index."""


class QuestionError(BotError):
    """The question cannot be answered as asked (empty, too long, not text)."""


class StoreUnavailableError(BotError):
    """The Chroma server does not answer (or the index cannot be read); answering resumes when it is back."""
