from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_defaults_without_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.index_dir == Path("index")
    assert settings.host == "127.0.0.1"
    assert settings.answer.mode == "extractive"


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('index_dir = "from-file"\nport = 9000\n[answer]\nmax_sentences = 2\n', encoding="utf-8")
    settings = load_settings(config, environ={"BOT_PORT": "9100", "BOT_ANSWER__MAX_QUESTION_CHARS": "500"})
    assert settings.index_dir == Path("from-file")
    assert settings.port == 9100
    assert settings.answer.max_sentences == 2
    assert settings.answer.max_question_chars == 500
    assert load_settings(config, environ={}, port=1234).port == 1234


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BOT_ANSWER__MODE": "magic"}, "answer.mode"),
        ({"BOT_PORT": "not-a-port"}, "port"),
        ({"BOT_RETRIEVAL__TOP_K": "0"}, "retrieval.top_k"),
        ({"BOT_CONFIG": "/nonexistent/bot.toml"}, "does not exist"),
    ],
)
def test_bad_settings_name_the_field(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text("port = [", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(config, environ={})
