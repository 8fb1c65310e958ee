"""What the session knows of a citizen signed in with MitID: the CPR number and the name from
the assertion, both encrypted (the session is stored in the database). Nothing else keeps them."""

from typing import Any

from kontaktlaege.directory import cpr as cprlib

KEY = "kl_citizen"


def remember(session: Any, cpr: str, name: str) -> None:
    session[KEY] = {"cpr": cprlib.encrypt(cpr), "name": cprlib.encrypt(name)}


def cpr_of(session: Any) -> str:
    return cprlib.decrypt((session.get(KEY) or {}).get("cpr", ""))


def name_of(session: Any) -> str:
    return cprlib.decrypt((session.get(KEY) or {}).get("name", ""))
