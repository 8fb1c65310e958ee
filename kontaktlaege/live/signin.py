"""Who is on the other end of a WebSocket: the same rule as for pages (signed in, second
factor verified, and the rules the apps add, e.g. a shared tablet's idle lock), read from
the session the socket was opened with."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from .database import on_database


@dataclass(frozen=True)
class SocketRule:
    """A rule of an app that can refuse a socket: `allows(session, path)`, reading only
    `session_keys` of the session (the session watch keeps just those)."""

    session_keys: tuple[str, ...]
    allows: Callable[[Mapping[str, Any], str], bool]


_rules: list[SocketRule] = []


def add_socket_rule(rule: SocketRule) -> None:
    """Called by an app's ready(); a rule is added once."""
    if rule not in _rules:
        _rules.append(rule)


def socket_allowed(session: Mapping[str, Any], path: str) -> bool:
    return all(rule.allows(session, path) for rule in _rules)


def rule_session_keys() -> tuple[str, ...]:
    return tuple(key for rule in _rules for key in rule.session_keys)


def read_verified_user(scope: dict[str, Any]) -> AbstractBaseUser | None:
    """The socket's verified and active user, or None; read on the calling thread."""
    session = scope.get("session")
    if session is None:
        return None
    # Django's own reading of a session: its backend (which refuses inactive users), and the
    # password hash check that signs a session out when the password changes.
    user = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    if not user.is_authenticated:
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    if not socket_allowed(session, scope.get("path", "")):
        return None
    return user  # type: ignore[return-value]


async def verified_user(scope: dict[str, Any]) -> Any:
    """read_verified_user on the sockets' database threads."""
    return await on_database(read_verified_user)(scope)
