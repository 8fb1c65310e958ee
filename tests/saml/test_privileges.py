"""The privileges attribute parser (OIOSAML basic privilege profile): what a broker sends
comes back as scope → roles; anything else, however malformed, is Malformed and nothing
worse (no exception of another kind, no entity expansion)."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kontaktlaege.saml import privileges

# XML 1.0's characters, without the whitespace the parser strips at the ends.
xml_text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.dictionaries(xml_text, st.lists(xml_text, max_size=4), max_size=4))
def test_what_is_encoded_is_parsed_back(grants: dict[str, list[str]]) -> None:
    parsed = privileges.parse(privileges.encode(grants))
    assert parsed == {scope: frozenset(roles) for scope, roles in grants.items()}


@given(st.text(max_size=300))
def test_any_text_is_a_list_or_malformed(value: str) -> None:
    try:
        result = privileges.parse(value)
    except privileges.Malformed:
        return
    assert isinstance(result, dict)


@given(st.binary(max_size=400))
def test_any_bytes_in_base64_are_a_list_or_malformed(raw: bytes) -> None:
    try:
        result = privileges.parse(base64.b64encode(raw).decode())
    except privileges.Malformed:
        return
    assert isinstance(result, dict)


@given(st.text(max_size=200))
def test_any_text_inside_the_list_is_a_list_or_malformed(inner: str) -> None:
    xml = f'<bpp:PrivilegeList xmlns:bpp="{privileges.NAMESPACES[0]}">{inner}</bpp:PrivilegeList>'
    try:
        privileges.parse(base64.b64encode(xml.encode()).decode())
    except privileges.Malformed:
        pass


def _b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpp:PrivilegeList xmlns:bpp="http://digst.dk/oiosaml/basic_privilege_profile">
<PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:1"><Privilege>&lol3;</Privilege>
</PrivilegeGroup></bpp:PrivilegeList>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<bpp:PrivilegeList xmlns:bpp="http://digst.dk/oiosaml/basic_privilege_profile">
<PrivilegeGroup Scope="s"><Privilege>&e;</Privilege></PrivilegeGroup></bpp:PrivilegeList>"""


@pytest.mark.parametrize(
    "value",
    [
        _b64(BOMB),
        _b64(EXTERNAL),
        _b64('<PrivilegeList><PrivilegeGroup Scope="s"/></PrivilegeList>'),  # no namespace
        _b64(f'<x:Other xmlns:x="{privileges.NAMESPACES[0]}"/>'),
        _b64(
            f'<x:PrivilegeList xmlns:x="{privileges.NAMESPACES[0]}"><PrivilegeGroup/>'
            "</x:PrivilegeList>"
        ),  # a group without its scope
        _b64(f'<x:PrivilegeList xmlns:x="{privileges.NAMESPACES[0]}"><Script/></x:PrivilegeList>'),
        "A" * (privileges.MAX_ENCODED_LENGTH + 4),
        "",
        "not base64 at all!",
    ],
    ids=[
        "bomb",
        "external-entity",
        "no-namespace",
        "other-root",
        "no-scope",
        "other-child",
        "too-long",
        "empty",
        "not-base64",
    ],
)
def test_malformed_lists_are_refused(value: str) -> None:
    with pytest.raises(privileges.Malformed):
        privileges.parse(value)


def test_a_broker_style_list_with_constraints_and_whitespace() -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpp:PrivilegeList xmlns:bpp="{privileges.NAMESPACES[1]}"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:29189846">
    <Constraint Name="http://kombit.dk/roles/KLE">29.*</Constraint>
    <Privilege> http://kombit.dk/roles/usersystemrole/Kontaktlaege_bruger_dk/1 </Privilege>
  </PrivilegeGroup>
</bpp:PrivilegeList>"""
    parsed = privileges.parse(base64.encodebytes(xml.encode()).decode())  # with line breaks
    roles = privileges.roles_for_cvr(parsed, "29189846")
    assert privileges.has_role(roles, "Kontaktlaege_bruger_dk")
    assert not privileges.roles_for_cvr(parsed, "29189847")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://kombit.dk/roles/usersystemrole/Kontaktlaege_bruger_dk/1", True),
        ("http://kombit.dk/roles/usersystemrole/Kontaktlaege_bruger_dk", True),
        ("Kontaktlaege_bruger_dk", True),
        ("http://kombit.dk/roles/usersystemrole/Kontaktlaege_bruger_dk_admin/1", False),
        ("http://kombit.dk/roles/usersystemrole/kontaktlaege_bruger_dk/1", False),
        ("http://kombit.dk/roles/Kontaktlaege_bruger_dk/other/1", False),
    ],
)
def test_the_role_is_matched_by_name(uri: str, expected: bool) -> None:
    assert privileges.has_role(frozenset([uri]), "Kontaktlaege_bruger_dk") is expected
