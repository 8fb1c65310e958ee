"""Signing in as a person does: password, then the current TOTP code of their device; in a
real browser's page, with Django's test client, or with plain form posts to a server."""

import http.cookiejar
import json
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from kontaktlaege.accounts.models import User
from tests.support.factories import PASSWORD

if TYPE_CHECKING:
    from tests.support.server import Cluster


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def sign_in(page: Page, user: User, base: str = "") -> None:
    """Through the real login page: password, then the current TOTP code of the user's device."""
    page.goto(base + "/konto/log-ind/")
    page.get_by_label("Brugernavn").fill(user.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("heading", name="Bekræft med engangskode")).to_be_visible()
    page.get_by_label("Engangskode fra din app").fill(current_code(user))
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()


def signed_in_page(browser: Any, base_url: str, user: User) -> Page:
    """A new browser context (its own cookies) on `base_url`, signed in as `user`; its page."""
    context = browser.new_context(base_url=base_url, locale="da-DK")
    page: Page = context.new_page()
    sign_in(page, user)
    return page


def verified_client(user: User) -> Client:
    """A test client signed in with password and second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


class Browser:
    """Cookies and form posts against one server process, as a browser would send them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return str(response.url)

    def post(self, path: str, **form: str) -> str:
        """POST the form; returns the URL the redirects end on."""
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        with self.opener.open(self.base + path, data.encode(), timeout=20) as response:
            return str(response.url)

    def post_json(self, path: str, **form: str) -> dict:
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        request = urllib.request.Request(
            self.base + path, data.encode(), headers={"Accept": "application/json"}
        )
        with self.opener.open(request, timeout=20) as response:
            return dict(json.loads(response.read()))

    def login(self, cluster: "Cluster", username: str) -> "Browser":
        """As a demo account of the cluster's database (load_demo's password and devices)."""
        from kontaktlaege.directory.demo import DEMO_PASSWORD

        self.get("/konto/log-ind/")
        landed = self.post("/konto/log-ind/", username=username, password=DEMO_PASSWORD)
        assert landed.endswith("/konto/totp/"), landed
        ((key,),) = cluster.sql(
            "SELECT d.key FROM otp_totp_totpdevice d JOIN accounts_user u ON u.id = d.user_id"
            " WHERE u.username = %s AND d.confirmed",
            username,
        )
        landed = self.post("/konto/totp/", token=f"{totp(bytes.fromhex(key)):06d}")
        assert "/konto/" not in landed, f"second factor refused: {landed}"
        return self
