import os
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kontaktlaege.privacy"
    verbose_name = _("Databeskyttelse")

    def ready(self) -> None:
        from kontaktlaege.live.signin import SocketRule, add_socket_rule

        from .logredact import install
        from .shared_device import SOCKET_RULE_KEYS, socket_allowed

        install()
        connection_created.connect(_owner_only, dispatch_uid="kl-sqlite-owner-only")
        # Idle lock and citizen mode bind sockets as they bind pages.
        add_socket_rule(SocketRule(SOCKET_RULE_KEYS, socket_allowed))


def _owner_only(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite's database file and its write-ahead log: readable by the owner only."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    for path in (name, f"{name}-wal", f"{name}-shm"):
        if os.path.isfile(path) and os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
