"""Cited question answering over OSH and labour-inspection documents (see README.md)."""

from bot.errors import BotError
from bot.settings import Settings, load_settings
from bot.types import Answer, Citation, Passage

__all__ = ["Answer", "BotError", "Citation", "Passage", "Settings", "load_settings"]
