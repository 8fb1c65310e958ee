"""The signature of a message sent by HTTP-Redirect (SAML bindings §3.4.4.1), checked over the
query string exactly as it arrived. pysaml2, as a service provider, does not check a provider's
LogoutRequest, and re-encoding the parameters could differ from how the sender encoded them."""

import base64
import binascii
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}


def _raw_parameters(query_string: str) -> dict[str, str]:
    raw: dict[str, str] = {}
    for part in query_string.split("&"):
        name, _, value = part.partition("=")
        raw.setdefault(name, value)
    return raw


def verify(query_string: str, kind: str, certs: list[str], allowed: list[str]) -> bool:
    """True when `kind` (SAMLRequest or SAMLResponse), RelayState and SigAlg are signed with
    an allowed algorithm by the key of one of `certs` (base64 DER, as in metadata)."""
    raw = _raw_parameters(query_string)
    sigalg = unquote_plus(raw.get("SigAlg", ""))
    if kind not in raw or "Signature" not in raw or sigalg not in allowed or sigalg not in HASHES:
        return False
    signed = "&".join(f"{n}={raw[n]}" for n in (kind, "RelayState", "SigAlg") if n in raw)
    try:
        signature = base64.b64decode(unquote_plus(raw["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        return False
    for cert in certs:
        try:
            key = x509.load_der_x509_certificate(
                base64.b64decode("".join(cert.split()))
            ).public_key()
        except ValueError:
            continue
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        try:
            key.verify(signature, signed.encode(), padding.PKCS1v15(), HASHES[sigalg]())
        except InvalidSignature:
            continue
        return True
    return False
