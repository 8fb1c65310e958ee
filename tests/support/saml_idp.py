"""A SAML 2.0 identity provider for the tests: pysaml2's saml2.server.Server with keys made at
test time. It answers the product's real AuthnRequest with a signed and encrypted response in
OIOSAML 3's shape: in this process (Django's test client posts it), or over HTTP on loopback,
where a browser signs in at its page. Its clock can be set back, its key swapped, its
signatures left off, to make the responses the product must refuse."""

import base64
import datetime
import html
import http.server
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import saml2
import saml2.time_util
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from kontaktlaege.saml import oiosaml, privileges

ROLE = "http://kombit.dk/roles/usersystemrole/Kontaktlaege_bruger_dk/1"
XMLSEC = "/usr/bin/xmlsec1"


def make_keypair(directory: Path, name: str) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it, as PEM files: made once per
    directory and name."""
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class Identity:
    """Whom the provider says signed in, and with which attributes (OIOSAML 3 names)."""

    first_name: str = "Lise"
    last_name: str = "Berg"
    cvr: str = "29189846"
    loa: str = "Substantial"
    name_id: str = field(
        default_factory=lambda: f"https://data.gov.dk/model/core/eid/person/uuid/{uuid.uuid4()}"
    )
    person_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Scope → role URIs; None: the product's role for the person's own CVR.
    grants: dict[str, list[str]] | None = None
    # The privileges attribute as sent, when a test wants it broken.
    privileges_value: str | None = None
    # A citizen's CPR number (NemLog-in with MitID sends it); none sent when empty.
    cpr: str = ""

    def attributes(self) -> dict[str, list[str]]:
        grants = {privileges.CVR_SCOPE + self.cvr: [ROLE]} if self.grants is None else self.grants
        value = self.privileges_value
        if value is None:
            value = privileges.encode(grants) if grants else ""
        found = {
            oiosaml.ATTR_LOA: [self.loa],
            oiosaml.ATTR_FIRST_NAME: [self.first_name],
            oiosaml.ATTR_LAST_NAME: [self.last_name],
            oiosaml.ATTR_CVR: [self.cvr],
            oiosaml.ATTR_PERSON_UUID: [self.person_uuid],
        }
        if value:
            found[oiosaml.ATTR_PRIVILEGES] = [value]
        if self.cpr:
            found[oiosaml.ATTR_CPR] = [self.cpr]
        return {k: v for k, v in found.items() if v != [""]}


def citizen(
    cpr: str, first_name: str = "Inger", last_name: str = "Jensen", **more: Any
) -> Identity:
    """A private person at NemLog-in (MitID): CPR and name, no organisation, no privileges."""
    return Identity(first_name=first_name, last_name=last_name, cvr="", grants={}, cpr=cpr, **more)


@contextmanager
def clock_at(offset_seconds: float) -> Iterator[None]:
    """pysaml2's clock moved by `offset_seconds` while the provider writes a response (the
    product's own checks run after, on the real clock)."""
    real_time, real_datetime = saml2.time_util.time, saml2.time_util.datetime

    class ShiftedTime:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_time, name)

        def gmtime(self, secs: float | None = None) -> time.struct_time:
            # Only "now" moves: a given time stays what it is.
            return real_time.gmtime(real_time.time() + offset_seconds if secs is None else secs)

    class ShiftedDatetime(real_datetime):  # type: ignore[misc,valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real_datetime.now(tz) + datetime.timedelta(seconds=offset_seconds)

    saml2.time_util.time = ShiftedTime()  # type: ignore[assignment]
    saml2.time_util.datetime = ShiftedDatetime  # type: ignore[misc]
    try:
        yield
    finally:
        saml2.time_util.time = real_time
        saml2.time_util.datetime = real_datetime  # type: ignore[misc]


def service_provider_metadata(directory: Path, entity_id: str) -> str:
    """Metadata of some other service provider of the federation."""
    key, cert = make_keypair(directory, "other-sp")
    config = SPConfig()
    config.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": XMLSEC,
            "key_file": str(key),
            "cert_file": str(cert),
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [
                            (f"{entity_id}/acs", saml2.BINDING_HTTP_POST)
                        ]
                    }
                }
            },
        }
    )
    return str(entity_descriptor(config))


class IdentityProvider:
    """One provider: its entity ID, keys and endpoints under `base` (its own HTTP server's
    address, or any address when only used in-process)."""

    def __init__(self, directory: Path, base: str, entity_id: str = "", name: str = "idp") -> None:
        self.directory = directory
        self.base = base.rstrip("/")
        self.entity_id = entity_id or f"{self.base}/metadata"
        self.key_file, self.cert_file = make_keypair(directory, name)
        self.name = name
        self.server: Server | None = None
        self.sp_metadata = ""
        self.other_metadata: list[str] = []
        self.next_identity = Identity()
        self.signed_in: list[str] = []  # NameIDs, for single logout

    def _config(self) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": XMLSEC,
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "encryption_keypairs": [
                    {"key_file": str(self.key_file), "cert_file": str(self.cert_file)}
                ],
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.base}/sso", saml2.BINDING_HTTP_REDIRECT)
                            ],
                            # Both, as NemLog-in offers: the product answers by Redirect.
                            "single_logout_service": [
                                (f"{self.base}/slo", saml2.BINDING_HTTP_REDIRECT),
                                (f"{self.base}/slo", saml2.BINDING_HTTP_POST),
                            ],
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "want_authn_requests_signed": True,
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "name_form": saml2.saml.NAME_FORMAT_URI,
                                "attribute_restrictions": None,
                            }
                        },
                    }
                },
                "metadata": (
                    {"inline": [self.sp_metadata, *self.other_metadata]} if self.sp_metadata else {}
                ),
            }
        )
        return config

    def metadata_file(self) -> Path:
        """The provider's metadata, as IT would download it for the product."""
        path = self.directory / f"{self.name}-metadata.xml"
        path.write_text(str(entity_descriptor(self._config())))
        return path

    def trust(self, sp_metadata: str) -> None:
        """Load the product's metadata (its ACS, its certificates)."""
        self.sp_metadata = sp_metadata
        self.server = Server(config=self._config())

    def also_trust(self, metadata: str) -> None:
        """Another service provider's metadata (responses can then name it as audience)."""
        self.other_metadata.append(metadata)
        self.server = Server(config=self._config())

    def request_of(self, location: str) -> tuple[Any, str]:
        """The AuthnRequest in the product's redirect to us, checked, and its RelayState."""
        assert self.server is not None, "trust() the product's metadata first"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        # The product signs its requests (HTTP-Redirect: the signature is in the query).
        assert query.get("Signature") and query.get("SigAlg"), "the AuthnRequest is not signed"
        # ... and the provider checks that signature with the key in the product's metadata.
        request = self.server.parse_authn_request(
            query["SAMLRequest"][0],
            saml2.BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState", [None])[0],
            sigalg=query["SigAlg"][0],
            signature=query["Signature"][0],
        )
        assert request is not None
        return request, query.get("RelayState", [""])[0]

    def answer(
        self,
        location: str,
        identity: Identity | None = None,
        *,
        audience: str = "",
        sign_assertion: bool = True,
        sign_response: bool = True,
        encrypt: bool = True,
        clock_offset: float = 0,
    ) -> tuple[str, dict[str, str]]:
        """(ACS URL, form fields) of the response to the request in `location`."""
        assert self.server is not None
        identity = identity or self.next_identity
        request, relay_state = self.request_of(location)
        args = self.server.response_args(request.message)
        sp_entity_id = args["sp_entity_id"]
        certs = self.server.metadata.certs(sp_entity_id, "any", "encryption")
        with clock_at(clock_offset):
            response = self.server.create_authn_response(
                identity.attributes(),
                in_response_to=args["in_response_to"],
                destination=args["destination"],
                sp_entity_id=audience or sp_entity_id,
                name_id_policy=args["name_id_policy"],
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=identity.name_id),
                authn={
                    "class_ref": oiosaml.loa_uri(identity.loa),
                    "authn_auth": self.entity_id,
                },
                sign_response=sign_response,
                sign_assertion=sign_assertion,
                encrypt_assertion=encrypt,
                encrypt_cert_assertion=certs[0][1] if encrypt else None,
                sign_alg=saml2.xmldsig.SIG_RSA_SHA256,
                digest_alg=saml2.xmldsig.DIGEST_SHA256,
            )
        self.signed_in.append(identity.name_id)
        encoded = base64.b64encode(str(response).encode()).decode()
        return args["destination"], {"SAMLResponse": encoded, "RelayState": relay_state}

    def logout_request(self, sp_entity_id: str, name_id: str) -> str:
        """The URL (at the product) of our signed LogoutRequest: single logout started here."""
        assert self.server is not None
        destination = self.server.metadata.single_logout_service(
            sp_entity_id, saml2.BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        _id, request = self.server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            sign=False,
        )
        info = self.server.apply_binding(
            saml2.BINDING_HTTP_REDIRECT,
            str(request),
            destination,
            "",
            sign=True,
            sigalg=saml2.xmldsig.SIG_RSA_SHA256,
        )
        return dict(info["headers"])["Location"]

    def logout_request_posted(
        self, sp_entity_id: str, name_id: str, *, sign: bool = True
    ) -> tuple[str, dict[str, str]]:
        """(URL at the product, form fields) of our LogoutRequest by HTTP-POST: the signature
        inside the message, as the browser would post it from our page."""
        assert self.server is not None
        destination = self.server.metadata.single_logout_service(
            sp_entity_id, saml2.BINDING_HTTP_POST, "spsso"
        )[0]["location"]
        _id, request = self.server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            sign=sign,
            sign_alg=saml2.xmldsig.SIG_RSA_SHA256,
            digest_alg=saml2.xmldsig.DIGEST_SHA256,
        )
        return destination, {"SAMLRequest": base64.b64encode(str(request).encode()).decode()}

    def _products_logout_request(self, location: str) -> tuple[Any, dict[str, list[str]]]:
        """The product's LogoutRequest in its redirect to us, its signature checked."""
        assert self.server is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        request = self.server.parse_logout_request(
            query["SAMLRequest"][0],
            saml2.BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState", [None])[0],
            sigalg=query["SigAlg"][0],
            signature=query["Signature"][0],
        )
        return request, query

    def logout_response_posted(self, location: str) -> tuple[str, dict[str, str]]:
        """(URL at the product, form fields) of our signed answer by HTTP-POST to the
        product's LogoutRequest in `location`."""
        assert self.server is not None
        request, query = self._products_logout_request(location)
        response = self.server.create_logout_response(
            request.message,
            [saml2.BINDING_HTTP_POST],
            sign=True,
            sign_alg=saml2.xmldsig.SIG_RSA_SHA256,
            digest_alg=saml2.xmldsig.DIGEST_SHA256,
        )
        args = self.server.response_args(request.message, [saml2.BINDING_HTTP_POST])
        fields = {"SAMLResponse": base64.b64encode(str(response).encode()).decode()}
        if query.get("RelayState"):
            fields["RelayState"] = query["RelayState"][0]
        return args["destination"], fields

    def logout_response(self, location: str) -> str:
        """The URL (at the product) of our answer to the product's LogoutRequest."""
        assert self.server is not None
        request, query = self._products_logout_request(location)
        response = self.server.create_logout_response(
            request.message, [saml2.BINDING_HTTP_REDIRECT], sign=False
        )
        args = self.server.response_args(request.message, [saml2.BINDING_HTTP_REDIRECT])
        info = self.server.apply_binding(
            args["binding"],
            str(response),
            args["destination"],
            query.get("RelayState", [""])[0],
            response=True,
            sign=True,
            sigalg=saml2.xmldsig.SIG_RSA_SHA256,
        )
        return dict(info["headers"])["Location"]


class _Handler(http.server.BaseHTTPRequestHandler):
    idp: IdentityProvider

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        location = self.idp.base + self.path
        if path == "/metadata":
            data = self.idp.metadata_file().read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path == "/sso":
            acs, fields = self.idp.answer(location)
            who = self.idp.next_identity
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in fields.items()
            )
            body = (
                '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
                "<title>Test-login</title></head><body><main><h1>Test-login</h1>"
                f"<p>{html.escape(who.first_name)} {html.escape(who.last_name)}</p>"
                f'<form method="post" action="{html.escape(acs)}">{inputs}'
                '<button type="submit">Godkend login</button></form></main></body></html>'
            )
            self._send(200, body)
        elif path == "/slo" and "SAMLResponse=" in self.path:
            # The product's answer to our logout request: the end of single logout.
            self._send(
                200,
                '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
                "<title>Logget ud</title></head><body><h1>Logget ud</h1></body></html>",
            )
        elif path == "/slo":
            self.send_response(302)
            self.send_header("Location", self.idp.logout_response(location))
            self.end_headers()
        else:
            self._send(404, "not here")

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serving(directory: Path) -> Iterator[IdentityProvider]:
    """A provider with its own HTTP server on a free loopback port (a thread of this process)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    idp = IdentityProvider(directory, f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = type("Handler", (_Handler,), {"idp": idp})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
