"""The OIOSAML "basic privilege profile": the privileges attribute is base64 of a small XML
document, one PrivilegeGroup per scope (e.g. a CVR number) holding Privilege elements with
role URIs. Parsed with defusedxml; anything else than that shape is refused as Malformed."""

import base64
import binascii
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# The current namespace and the older one still sent by some brokers; the children carry none.
NAMESPACES = (
    "http://digst.dk/oiosaml/basic_privilege_profile",
    "http://itst.dk/oiosaml/basic_privilege_profile",
)
CVR_SCOPE = "urn:dk:gov:saml:cvrNumberIdentifier:"
# A real list holds a handful of groups; anything this large is not one.
MAX_ENCODED_LENGTH = 64 * 1024

Privileges = dict[str, frozenset[str]]


class Malformed(ValueError):
    """Not a basic privilege profile document."""


def parse(value: str) -> Privileges:
    """Scope → the role URIs granted in it."""
    if not isinstance(value, str) or len(value) > MAX_ENCODED_LENGTH:
        raise Malformed("too long")
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Malformed("not base64") from exc
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise Malformed("not XML") from exc
    if root.tag not in {f"{{{ns}}}PrivilegeList" for ns in NAMESPACES}:
        raise Malformed("not a privilege list")
    groups: dict[str, set[str]] = {}
    for group in root:
        if group.tag != "PrivilegeGroup":
            raise Malformed("unexpected element")
        scope = (group.get("Scope") or "").strip()
        if not scope:
            raise Malformed("a group without scope")
        roles = groups.setdefault(scope, set())
        for child in group:
            if child.tag == "Privilege":
                text = (child.text or "").strip()
                if text:
                    roles.add(text)
            elif child.tag != "Constraint":
                raise Malformed("unexpected element")
    return {scope: frozenset(roles) for scope, roles in groups.items()}


def roles_for_cvr(privileges: Privileges, cvr: str) -> frozenset[str]:
    return privileges.get(CVR_SCOPE + cvr, frozenset())


def has_role(roles: frozenset[str], role: str) -> bool:
    """`role` is either a full URI, or the role's name: the URI's last path segment (a
    trailing version segment such as "/1" aside), as KOMBIT's user-system roles are named."""
    for uri in roles:
        if uri == role:
            return True
        parts = [p for p in uri.rstrip("/").split("/") if p]
        if parts and parts[-1].isdigit():
            parts.pop()
        if parts and "/" in uri and parts[-1] == role:
            return True
    return False


def encode(privileges: dict[str, list[str]], namespace: str = NAMESPACES[0]) -> str:
    """The attribute value for these privileges (for the test identity provider and docs)."""
    from xml.sax.saxutils import escape, quoteattr

    groups = "".join(
        f"<PrivilegeGroup Scope={quoteattr(scope)}>"
        + "".join(f"<Privilege>{escape(role)}</Privilege>" for role in roles)
        + "</PrivilegeGroup>"
        for scope, roles in privileges.items()
    )
    xml = f'<?xml version="1.0" encoding="UTF-8"?><bpp:PrivilegeList xmlns:bpp="{namespace}">'
    return base64.b64encode((xml + groups + "</bpp:PrivilegeList>").encode()).decode()
