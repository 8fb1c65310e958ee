"""Every URL of the product × every role × GET/POST, against an explicit table.

The URL list comes from the URLconf itself, so a new endpoint fails this test until someone
writes down who may use it. Parametrised URLs are tried with an object of the role's own
scope ("mine": Copenhagen carer's consultation at Lægehuset Nørrebro) and a foreign one
("theirs": Roskilde carer's consultation at Roskilde Lægecenter). Each request runs in its
own rolled-back transaction, so one allowed POST cannot change what the next one sees."""

import re
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from tests.correspondence.helpers import delivered_thread
from tests.support import factories
from tests.support.citizens import citizen_client, make_citizen
from tests.support.signin import verified_client

ROLES = [
    "anon",
    "password_only",
    "employee",
    "foreign_employee",
    "clinic",
    "foreign_clinic",
    "admin",
    "citizen",  # signed in with MitID ("Borger selv")
]
EMPLOYEES = {"employee", "foreign_employee"}
CLINICS = {"clinic", "foreign_clinic"}
# Outcomes: ok (the view did its work: 2xx or a redirect inside the product), login
# (redirect to a sign-in page), verify (redirect to the TOTP step), denied (401/403/404/410),
# not_allowed (405).


def verified(*kinds: str, own: set[str] | None = None) -> dict[str, str]:
    """A page behind `verified_required(kinds)`. With `own`, only those roles of the kind
    pass; the rest of the kind get 'denied' (object outside their scope)."""
    allowed = own if own is not None else set().union(*kinds)
    table = {"anon": "login", "password_only": "verify"}
    for role in ROLES[2:]:
        table[role] = "ok" if role in allowed else "denied"
    return table


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


POST_ONLY = everyone("not_allowed")
ADMINS = {"admin"}
CITIZENS = {"citizen"}

# name → {method → {role → outcome}}, or name → {"mine"/"theirs" → {method → {role →
# outcome}}} for URLs that carry an object id.
# SAML is off here (no identity provider configured): its URLs answer 404 to everyone;
# tests/saml/ tries them against a real identity provider.
SAML_OFF = {"GET": everyone("denied"), "POST": everyone("denied")}

TABLE: dict[str, dict] = {
    **{
        f"saml:{name}": SAML_OFF
        for name in (
            "acs",
            "metadata",
            "logout_service",
            "reauthenticate",
            "reauthenticated",
        )
    },
    "saml:login": {"mine": SAML_OFF, "theirs": SAML_OFF},  # <purpose>: filled with an id
    # A citizen's start page is their own flow's.
    "home": {
        "GET": verified(EMPLOYEES | CLINICS | ADMINS | CITIZENS),
        "POST": verified(EMPLOYEES | CLINICS | ADMINS | CITIZENS),
    },
    "healthz": {"GET": everyone("ok"), "POST": everyone("ok")},
    "set_language": {"GET": everyone("ok"), "POST": everyone("ok")},
    "accounts:login": {"GET": everyone("ok"), "POST": everyone("ok")},
    # A citizen has no authenticator (MitID was the second factor): sent on to enrolment,
    # which asks for an activation code (a citizen has none).
    "accounts:verify": {
        "GET": {**everyone("ok"), "anon": "login", "citizen": "verify"},
        "POST": {**everyone("ok"), "anon": "login", "citizen": "verify"},
    },
    # Everyone else here has a confirmed device: enrolment sends them to the code step.
    "accounts:enroll": {
        "GET": {**everyone("verify"), "anon": "login", "citizen": "ok"},
        "POST": {**everyone("verify"), "anon": "login", "citizen": "ok"},
    },
    "accounts:profile": {
        "GET": verified(EMPLOYEES | CLINICS | ADMINS),
        "POST": verified(EMPLOYEES | CLINICS | ADMINS),
    },
    "accounts:logout": {"GET": POST_ONLY, "POST": everyone("login")},
    "consultations:employee_start": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    "consultations:citizen": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    "consultations:by_ydernummer": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    "consultations:reason": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    "consultations:log_out_citizen": {"GET": POST_ONLY, "POST": verified(EMPLOYEES)},
    "consultations:discard_draft": {"GET": POST_ONLY, "POST": verified(EMPLOYEES)},
    "consultations:waiting_room": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "consultations:set_mode": {"GET": POST_ONLY, "POST": verified(CLINICS)},
    "consultations:schedule": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "videocheck:device_check": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    "videocheck:connection_test": {"GET": everyone("ok"), "POST": everyone("ok")},
    # Without a guest session there is no call to show.
    "video:guest_call": {"GET": everyone("denied"), "POST": everyone("denied")},
    "audit:search": {"GET": verified(ADMINS), "POST": verified(ADMINS)},
    "audit:citizen_report": {"GET": verified(ADMINS), "POST": verified(ADMINS)},
    # Not in citizen mode / not idle-locked: both just send the employee home.
    "privacy:unlock": {"GET": verified(EMPLOYEES), "POST": verified(EMPLOYEES)},
    # Every role's idle lock (clinic staff and administrators too) is lifted here.
    "privacy:resume": {
        "GET": verified(EMPLOYEES | CLINICS | ADMINS | CITIZENS),
        "POST": verified(EMPLOYEES | CLINICS | ADMINS | CITIZENS),
    },
    # A page to read (its own clinic's messages only); nothing is posted to it.
    "outbox:outbox": {"GET": verified(CLINICS), "POST": everyone("not_allowed")},
    # Doctor information (issue 32): the clinic's own ydernumre only (another clinic's are
    # 404, tests/doctorinfo/test_clinic_page.py); it holds the back-line number, so no
    # employee, citizen or invitee page (tests/security/test_back_line_number.py).
    "doctorinfo:clinic": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    # A municipality's administrator only; none of these roles is one (the national
    # administrator has no municipality): tests/doctorinfo/test_search.py signs one in.
    "doctorinfo:pins": {"GET": verified(set()), "POST": verified(set())},
    # MedCom correspondence: the clinic's sent notes, the municipality's inbox (read only).
    "correspondence:clinic_list": {"GET": verified(CLINICS), "POST": everyone("not_allowed")},
    "correspondence:inbox": {"GET": verified(EMPLOYEES), "POST": everyone("not_allowed")},
    # Invitations by SMS/e-mail: the clinic's form; the invited person's pages need the
    # invitation in the session (none here).
    "video:invite_patient": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "video:invitation_check": {"GET": everyone("denied"), "POST": everyone("denied")},
    "video:invitation_waiting": {"GET": everyone("denied"), "POST": everyone("denied")},
    "video:invitation_leave": {"GET": POST_ONLY, "POST": everyone("denied")},
    "consultations:passant": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "bookings:day": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "bookings:week": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    "bookings:new": {"GET": verified(CLINICS), "POST": verified(CLINICS)},
    # The citizen's own flow (kontaktlaege/citizens): citizens only.
    "citizens:start": {"GET": verified(CITIZENS), "POST": verified(CITIZENS)},
    "citizens:device_check": {"GET": verified(CITIZENS), "POST": verified(CITIZENS)},
    "citizens:reason": {"GET": verified(CITIZENS), "POST": verified(CITIZENS)},
}


def per_object(get: str | None, post: str | None, kind: set[str], mine: str, theirs: str):
    """An object URL: `mine` is the role of `kind` owning "mine", `theirs` the other one."""

    def one(method: str | None, owner: str) -> dict[str, str]:
        if method is None:
            return POST_ONLY
        return verified(kind, own={owner})

    return {
        "mine": {"GET": one(get, mine), "POST": one(post, mine)},
        "theirs": {"GET": one(get, theirs), "POST": one(post, theirs)},
    }


E = ("employee", "foreign_employee")
C = ("clinic", "foreign_clinic")
TABLE.update(
    {
        "consultations:consultation": per_object("GET", "POST", EMPLOYEES, *E),
        # Both consultations are employees': no citizen's own (tests/citizens/ tries those).
        **{
            f"citizens:{name}": {
                v: {
                    "GET": POST_ONLY if name != "consultation" else verified(CITIZENS, own=set()),
                    "POST": verified(CITIZENS, own=set()),
                }
                for v in ("mine", "theirs")
            }
            for name in ("consultation", "cancel", "end")
        },
        "consultations:cancel": per_object(None, "POST", EMPLOYEES, *E),
        "consultations:employee_end": per_object(None, "POST", EMPLOYEES, *E),
        "consultations:employee_phone": per_object(None, "POST", EMPLOYEES, *E),
        "privacy:citizen_mode_on": per_object(None, "POST", EMPLOYEES, *E),
        "consultations:admit": per_object(None, "POST", CLINICS, *C),
        "consultations:reject": per_object(None, "POST", CLINICS, *C),
        "consultations:send_message": per_object(None, "POST", CLINICS, *C),
        "consultations:clinic_end": per_object(None, "POST", CLINICS, *C),
        "consultations:clinic_phone": per_object(None, "POST", CLINICS, *C),
        "video:clinic_call": per_object("GET", "POST", CLINICS, *C),
        "video:create_invite": per_object(None, "POST", CLINICS, *C),
        "video:remove_guest": per_object(None, "POST", CLINICS, *C),
        # Correspondence about a consultation: its clinic's staff; the employees of the
        # municipality its note was delivered to (tried with a note and a reply delivered).
        "correspondence:clinic_note": per_object("GET", "POST", CLINICS, *C),
        "correspondence:clinic_mark_read": per_object(None, "POST", CLINICS, *C),
        "correspondence:inbox_thread": per_object("GET", None, EMPLOYEES, *E),
        "correspondence:inbox_mark_read": per_object(None, "POST", EMPLOYEES, *E),
        "correspondence:inbox_reply": per_object(None, "POST", EMPLOYEES, *E),
        "correspondence:summary_pdf": per_object("GET", None, EMPLOYEES, *E),
        "correspondence:summary_fhir": per_object("GET", None, EMPLOYEES, *E),
        # A made-up token is never a valid invitation, for anyone.
        # Ids of consultations name no invitation or booking: no clinic finds one.
        "video:revoke_invite": {
            "mine": {"GET": POST_ONLY, "POST": verified(CLINICS, own=set())},
            "theirs": {"GET": POST_ONLY, "POST": verified(CLINICS, own=set())},
        },
        "bookings:booking": {
            v: {m: verified(CLINICS, own=set()) for m in ("GET", "POST")}
            for v in ("mine", "theirs")
        },
        "bookings:cancel": {
            "mine": {"GET": POST_ONLY, "POST": verified(CLINICS, own=set())},
            "theirs": {"GET": POST_ONLY, "POST": verified(CLINICS, own=set())},
        },
        # A made-up token is never a valid invitation, for anyone, at any clinic.
        "video:invitation": {
            "mine": {"GET": everyone("denied"), "POST": everyone("denied")},
            "theirs": {"GET": everyone("denied"), "POST": everyone("denied")},
        },
        "video:guest_join": {
            "mine": {"GET": everyone("denied"), "POST": everyone("denied")},
            "theirs": {"GET": everyone("denied"), "POST": everyone("denied")},
        },
    }
)
# Statistics: "mine"/"theirs" are the region, municipality and clinic of each consultation
# (scope_ids); only the national administrator sees regions and municipalities here (the
# municipality's own administrator is in test_statistics_access.py), clinic staff their clinic.
STATS_ADMIN = {"GET": verified(ADMINS), "POST": POST_ONLY}
TABLE.update(
    {
        "stats:national": {"GET": verified(CLINICS | ADMINS), "POST": POST_ONLY},
        "stats:region": {"mine": STATS_ADMIN, "theirs": STATS_ADMIN},
        "stats:region_report": {"mine": STATS_ADMIN, "theirs": STATS_ADMIN},
        "stats:municipality": {"mine": STATS_ADMIN, "theirs": STATS_ADMIN},
        "stats:clinic": {
            "mine": {"GET": verified(CLINICS | ADMINS, own={"clinic", "admin"}), "POST": POST_ONLY},
            "theirs": {
                "GET": verified(CLINICS | ADMINS, own={"foreign_clinic", "admin"}),
                "POST": POST_ONLY,
            },
        },
    }
)


def scope_ids(scene, variant: str | None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The statistics' URL parameters for the clinic of the variant's consultation."""
    c = scene.theirs if variant == "theirs" else scene.mine
    return {
        "clinic_id": c.clinic_id,
        "municipality_id": c.clinic.municipality_id,
        "region_id": c.clinic.municipality.region_id,
    }


# URLs that act only on a running consultation: tried with both consultations admitted.
RUNNING_ONLY = {"privacy:citizen_mode_on"}
# URLs of a consultation's correspondence: tried with a note and a reply delivered on both.
WITH_THREAD = {
    name for name in TABLE if name.startswith("correspondence:") and "mine" in TABLE[name]
}
S = Consultation.State
# Django's admin site: nobody in these roles is staff, so every admin URL sends them to the
# admin sign-in (which itself also asks for the TOTP code); only the sign-in page answers,
# and sign-out (which just redirects to the admin's start page).
ADMIN_LOGIN_OK = {"admin:login", "admin:logout"}

POST_DATA = {
    "text": "Jeg kommer om 5 minutter",
    "message": "",
    "mode": "open",
    "reason": "Ondt i ryggen siden i går",
    "language": "da",
    "next": "/",
}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def urls() -> Iterator[tuple[str, str]]:
    """(name, route) for every pattern, with namespaces; unnamed get their route as name."""

    def walk(resolver: URLResolver, prefix: str, ns: str) -> Iterator[tuple[str, str]]:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p, prefix + str(p.pattern), inner or "")
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = p.name or route
                yield (f"{ns}:{name}" if ns else name), route

    yield from walk(get_resolver(), "", "")


def fill(route: str, object_id: int, named: dict[str, int] | None = None) -> str:
    def value(m: re.Match) -> str:
        name = m.group(2) or m.group(3)
        if named and name in named:
            return str(named[name])
        if name == "app_label":
            return "accounts"
        if name == "url":
            return "ingen/side"
        if name == "token":
            return f"ugyldig-invitation-{object_id}"
        return str(object_id)

    path = CONVERTER.sub(value, route).lstrip("^").rstrip("$")
    return "/" + path


def outcome(response) -> str:  # type: ignore[no-untyped-def]
    status = response.status_code
    if status == 405:
        return "not_allowed"
    if status in (401, 403, 404, 410):
        return "denied"
    if status in (301, 302, 303):
        to = response["Location"]
        if "/konto/log-ind/" in to or "/admin/login/" in to:
            return "login"
        if "/konto/totp/" in to:
            return "verify"
        return "ok"
    if status < 300 or status in (400, 409):
        return "ok"
    raise AssertionError(f"unexpected status {status}")


def attempt(client: Client, method: str, path: str) -> str:
    """The outcome of one GET or POST (the POST with the table's form data)."""
    response = client.get(path) if method == "GET" else client.post(path, POST_DATA)
    return outcome(response)


def client_for(role: str, world, scene) -> Client:  # type: ignore[no-untyped-def]
    if role == "anon":
        return Client()
    if role == "password_only":
        client = Client()
        client.force_login(world.carer)
        return client
    user = {
        "employee": world.carer,
        "foreign_employee": world.foreign_carer,
        "clinic": world.gp,
        "foreign_clinic": world.other_gp,
        "admin": scene.admin,
    }.get(role)
    if user is None:  # the citizen: no password, a MitID identity
        return citizen_client(make_citizen(), world.cpr)
    return verified_client(user)


def expected(name: str, variant: str | None, method: str, role: str) -> str:
    if name.startswith("admin:"):
        return "ok" if name in ADMIN_LOGIN_OK else "login"
    entry = TABLE[name]
    if variant is not None:
        entry = entry[variant]
    return entry[method][role]


# The administration pages have their own matrix, with administrators of every scope and
# objects of each: test_administration_matrix.py.
OWN_MATRIX = "administration:"


def test_every_url_is_in_the_table() -> None:
    missing = [
        name
        for name, _route in urls()
        if not name.startswith(("admin:", OWN_MATRIX)) and name not in TABLE
    ]
    assert not missing, f"URLs without a row in the authorization table: {missing}"


# The identity provider's browser POSTs to the assertion consumer and to single logout come
# from another site; they are checked as a signed answer to this browser's own request and as
# a message signed by the session's provider instead (tests/saml/).
CSRF_EXEMPT = {"acs/", "ls/"}


def test_no_view_is_csrf_exempt() -> None:
    exempt = []
    for p in _patterns(get_resolver()):
        if getattr(p.callback, "csrf_exempt", False):
            exempt.append(str(p.pattern))
    assert sorted(exempt) == sorted(CSRF_EXEMPT)


def _patterns(resolver: URLResolver) -> Iterator[URLPattern]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p)
        else:
            yield p


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(role: str, world, scene) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for name, route in urls():
        if name not in TABLE and not name.startswith("admin:"):
            continue  # reported by test_every_url_is_in_the_table, or in its own matrix
        has_id = CONVERTER.search(route) is not None
        variants = [("mine", scene.mine.pk), ("theirs", scene.theirs.pk)] if has_id else [(None, 0)]
        if name.startswith("admin:"):
            variants = variants[:1]
        for variant, object_id in variants:
            path = fill(route, object_id, scope_ids(scene, variant))
            for method in ("GET", "POST"):
                with transaction.atomic():
                    if name in RUNNING_ONLY:
                        running = [scene.mine.pk, scene.theirs.pk]
                        Consultation.objects.filter(pk__in=running).update(state=S.ADMITTED)
                    if name in WITH_THREAD:
                        delivered_thread(scene.mine)
                        delivered_thread(scene.theirs)
                    got = attempt(client_for(role, world, scene), method, path)
                    transaction.set_rollback(True)
                want = expected(name, variant, method, role)
                if got != want:
                    wrong.append(f"{method} {path} ({name}, {variant}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)


# The waiting person's URLs, tried on a citizen's own consultation ("Borger selv") at the
# "mine" clinic: only the citizen who queued it ("owner") follows it, and only in their flow.
WAITING_PERSON_URLS = (
    "citizens:consultation",
    "citizens:cancel",
    "citizens:end",
    "consultations:consultation",
    "consultations:cancel",
    "consultations:employee_end",
    "consultations:employee_phone",
)


def own_consultation_expected(name: str, method: str, role: str) -> str:
    if method == "GET" and TABLE[name]["mine"]["GET"] == POST_ONLY:
        return "not_allowed"
    if role in ("anon", "password_only"):
        return TABLE[name]["mine"][method][role]
    return "ok" if role == "owner" and name.startswith("citizens:") else "denied"


@pytest.mark.parametrize("role", [*ROLES, "owner"])
def test_a_citizens_own_consultation(role: str, world, scene) -> None:  # type: ignore[no-untyped-def]
    owner = make_citizen()
    cpr = factories.citizen(world.ydernummer, "Poul Hansen")
    own = actions.join_queue_by_citizen(
        owner, cpr=cpr, name="Poul Hansen", ydernummer=world.ydernummer, reason="Ondt i ryggen"
    )
    assert own.employee is None and own.citizen_account == owner
    routes = dict(urls())
    wrong = []
    for name in WAITING_PERSON_URLS:
        path = fill(routes[name], own.pk)
        for method in ("GET", "POST"):
            with transaction.atomic():
                if role == "owner":
                    client = citizen_client(owner, cpr, "Poul Hansen")
                else:
                    client = client_for(role, world, scene)
                got = attempt(client, method, path)
                transaction.set_rollback(True)
            want = own_consultation_expected(name, method, role)
            if got != want:
                wrong.append(f"{method} {path} ({name}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)
