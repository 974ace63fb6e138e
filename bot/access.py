"""Who may use the app: loopback by default; any other address only with an access token.

The token is the API's bearer token and the chat's login password. It is compared in constant time and
never written to logs or records.
"""

from __future__ import annotations

import hmac
import ipaddress

from bot.errors import ConfigError
from bot.settings import Settings

MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the app on this machine ('127.0.0.1', '::1', 'localhost')."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so it counts as exposed


def check_exposure(settings: Settings) -> None:
    """Refuse to serve on a non-loopback address without a usable access token."""
    token = settings.access_token.get_secret_value() if settings.access_token else ""
    if token and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"the access token is shorter than {MIN_TOKEN_CHARS} characters; set BOT_ACCESS_TOKEN "
            "to a longer random string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
        )
    if not is_loopback(settings.host) and not token:
        raise ConfigError(
            f"binding {settings.host} exposes the app beyond this machine; set BOT_ACCESS_TOKEN to a "
            "random string of 16+ characters, or bind 127.0.0.1"
        )


def token_matches(given: str | None, settings: Settings) -> bool:
    """Whether `given` is the configured token (always true when none is configured)."""
    if settings.access_token is None:
        return True
    return given is not None and hmac.compare_digest(
        given.encode(), settings.access_token.get_secret_value().encode()
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
