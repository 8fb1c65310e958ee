"""Security headers on pages, secure cookies and HSTS when SECURE_COOKIES=true, and templates
that need no inline script or style (strict CSP) and carry a CSRF token in every POST form."""

import json
import re
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from tests.support.signin import verified_client

ROOT = Path(__file__).resolve().parents[2]


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in header.split(";") if d.strip()}


def test_headers_on_pages(world, client) -> None:  # type: ignore[no-untyped-def]
    for response in (
        client.get("/konto/log-ind/"),
        verified_client(world.carer).get("/medarbejder/"),
    ):
        assert response.status_code == 200
        csp = _csp(response)
        assert csp["frame-ancestors"] == "frame-ancestors 'none'"
        assert csp["script-src"] == "script-src 'self'"
        assert csp["style-src"] == "style-src 'self'"
        assert csp["default-src"] == "default-src 'self'"
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_secure_cookies_setting_turns_on_hsts_and_secure_cookies() -> None:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_HTTPONLY]))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "kontaktlaege.settings",
        "SECURE_COOKIES": "true",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    secure, csrf_secure, hsts, httponly = json.loads(out.strip().splitlines()[-1])
    assert secure and csrf_secure and httponly and hsts >= 31536000


def test_hsts_and_secure_session_cookie_on_https(world) -> None:  # type: ignore[no-untyped-def]
    with override_settings(
        SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True
    ):
        client = verified_client(world.carer)
        response = client.get("/medarbejder/borger/", secure=True)
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        response = client.post("/konto/log-ind/", {"username": "x", "password": "y"}, secure=True)
        assert response.cookies["csrftoken"]["secure"]


TEMPLATES = sorted((ROOT / "kontaktlaege").rglob("templates/**/*.html"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_use_no_inline_script_or_style() -> None:
    assert TEMPLATES
    found = [
        f"{t.relative_to(ROOT)}: {what}"
        for t in TEMPLATES
        for pattern, what in INLINE
        if pattern.search(t.read_text())
    ]
    assert not found


def test_every_post_form_has_a_csrf_token() -> None:
    form = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.I | re.S)
    missing = [
        str(t.relative_to(ROOT))
        for t in TEMPLATES
        for body in form.findall(t.read_text())
        if "{% csrf_token %}" not in body
    ]
    assert not missing


def test_javascript_sets_no_inline_style_attributes() -> None:
    scripts = sorted((ROOT / "kontaktlaege").rglob("static/**/*.js"))
    bad = [
        str(s.relative_to(ROOT))
        for s in scripts
        if re.search(r"setAttribute\(\s*['\"]style|<style|eval\(|new Function\(", s.read_text())
    ]
    assert not bad


def test_csrf_is_enforced(world) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/konto/log-ind/", {"username": "mette", "password": "x"})
    assert response.status_code == 403
