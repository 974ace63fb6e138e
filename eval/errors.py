"""The errors the evaluation reports: one line each, saying what to do (the runner exits 1 on them)."""


class EvalError(Exception):
    """Base of every error `python -m eval` reports to a person."""


class BaselineError(EvalError):
    """The baseline file is missing or unreadable."""


class FeedbackFileError(EvalError, ValueError):
    """The exported feedback file cannot be used as it is; the message names the line."""


class PeerError(EvalError):
    """A comparison system could not be built (missing package, empty corpus)."""
