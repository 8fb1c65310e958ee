"""The service provider's pysaml2 configuration, built from settings (djangosaml2's
SAML_CONFIG_LOADER). Identity providers come in purposes (employees through the municipal
broker, clinic staff and citizens through the national eID); their metadata, from files or
URLs, is loaded once per process and again after SAML_METADATA_REFRESH_SECONDS or when a
file changes."""

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import saml2
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT

from . import oiosaml

logger = logging.getLogger(__name__)

EMPLOYEE = "medarbejder"
CLINIC = "klinik"
CITIZEN = "borger"
# Purpose → (setting with its metadata sources, the login button's text).
PURPOSES = {
    EMPLOYEE: ("SAML_EMPLOYEE_IDP_METADATA", _("Log ind med kommunens login")),
    CLINIC: ("SAML_CLINIC_IDP_METADATA", _("Log ind med MitID Erhverv")),
    CITIZEN: ("SAML_CITIZEN_IDP_METADATA", _("Log ind med MitID")),
}


def sources(purpose: str) -> list[str]:
    return list(getattr(settings, PURPOSES[purpose][0]))


def enabled_purposes() -> list[str]:
    return [p for p in PURPOSES if sources(p)]


def login_choices() -> list[tuple[str, str]]:
    """(purpose, button text) of the configured sign-ins, for the login page."""
    return [(p, str(PURPOSES[p][1])) for p in enabled_purposes()]


def _is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def base_url() -> str:
    return settings.SAML_BASE_URL.rstrip("/")


def settings_dict() -> dict[str, Any]:
    """pysaml2's configuration of the service provider."""
    base = base_url()
    local = [s for p in enabled_purposes() for s in sources(p) if not _is_url(s)]
    remote = [
        {"url": s, **({"cert": settings.SAML_METADATA_CERT} if settings.SAML_METADATA_CERT else {})}
        for p in enabled_purposes()
        for s in sources(p)
        if _is_url(s)
    ]
    metadata: dict[str, Any] = {}
    if local:
        metadata["local"] = local
    if remote:
        metadata["remote"] = remote
    return {
        "entityid": settings.SAML_ENTITY_ID or f"{base}/saml/metadata/",
        "xmlsec_binary": settings.SAML_XMLSEC_BINARY,
        # OIOSAML 3 names its attributes by URI; pysaml2 keeps unknown names as they are.
        "allow_unknown_attributes": True,
        "accepted_time_diff": settings.SAML_CLOCK_SKEW_SECONDS,
        # Fetching a provider's metadata must not hang a request.
        "http_client_timeout": 10,
        "key_file": settings.SAML_KEY_FILE,
        "cert_file": settings.SAML_CERT_FILE,
        "encryption_keypairs": [
            {
                "key_file": settings.SAML_ENCRYPTION_KEY_FILE or settings.SAML_KEY_FILE,
                "cert_file": settings.SAML_ENCRYPTION_CERT_FILE or settings.SAML_CERT_FILE,
            }
        ],
        "signing_algorithm": settings.SAML_SIGNATURE_ALGORITHMS[0],
        "digest_algorithm": settings.SAML_DIGEST_ALGORITHMS[0],
        "service": {
            "sp": {
                "name": "Kontakt Læge",
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "endpoints": {
                    "assertion_consumer_service": [
                        (f"{base}/saml/acs/", saml2.BINDING_HTTP_POST),
                    ],
                    # OIOSAML 3 allows both bindings for single logout.
                    "single_logout_service": [
                        (f"{base}/saml/ls/", saml2.BINDING_HTTP_REDIRECT),
                        (f"{base}/saml/ls/", saml2.BINDING_HTTP_POST),
                    ],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": settings.SAML_WANT_RESPONSE_SIGNED,
                "allow_unsolicited": False,
                "requested_authn_context": {
                    "authn_context_class_ref": [oiosaml.loa_uri(settings.SAML_MIN_ASSURANCE)],
                    "comparison": "minimum",
                },
            }
        },
        "metadata": metadata,
    }


@dataclass
class Loaded:
    config: SPConfig
    at: float
    mtimes: dict[str, float]
    # Purpose → the identity providers' entity IDs its metadata named.
    entities: dict[str, set[str]] = field(default_factory=dict)


_lock = threading.Lock()
_loaded: Loaded | None = None


def _mtimes() -> dict[str, float]:
    found = {}
    for purpose in enabled_purposes():
        for source in sources(purpose):
            if not _is_url(source):
                try:
                    found[source] = os.stat(source).st_mtime
                except OSError:
                    found[source] = -1.0
    return found


def _load() -> Loaded:
    config = SPConfig()
    config.load(settings_dict())
    entities: dict[str, set[str]] = {}
    stores = config.metadata.metadata if config.metadata else {}
    for purpose in enabled_purposes():
        entities[purpose] = set()
        for source in sources(purpose):
            store = stores.get(source)
            if store is not None:
                entities[purpose] |= set(store.keys())
    return Loaded(config=config, at=time.monotonic(), mtimes=_mtimes(), entities=entities)


def loaded() -> Loaded:
    """The current configuration; reloaded when due. A reload that fails (an IdP's metadata
    URL down) keeps the configuration loaded before and is tried again after a minute."""
    global _loaded
    with _lock:
        current = _loaded
        due = (
            current is None
            or time.monotonic() - current.at >= settings.SAML_METADATA_REFRESH_SECONDS
            or current.mtimes != _mtimes()
        )
        if due:
            try:
                _loaded = _load()
            except Exception:
                if current is None:
                    raise
                logger.exception("SAML metadata could not be reloaded; keeping what was loaded")
                retry = settings.SAML_METADATA_REFRESH_SECONDS - 60
                current.at = time.monotonic() - max(retry, 0)
        assert _loaded is not None
        return _loaded


def forget() -> None:
    """Load afresh on next use (tests change the settings)."""
    global _loaded
    with _lock:
        _loaded = None


def sp_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's SAML_CONFIG_LOADER."""
    return loaded().config


def purpose_of(idp: str) -> list[str]:
    return [p for p, ids in loaded().entities.items() if idp in ids]
