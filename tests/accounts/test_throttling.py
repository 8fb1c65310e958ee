"""Login throttling in three tiers (django-axes): a username at one address locks after
AXES_FAILURE_LIMIT failures, an account tried from many addresses after
AXES_ACCOUNT_FAILURE_LIMIT, an address trying many accounts after AXES_ADDRESS_FAILURE_LIMIT.
An administrator lets the owner back in (`manage.py axes_reset_username`)."""

import io

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.support.factories import PASSWORD

LOGIN = "/konto/log-ind/"
ACCOUNT_LIMIT = getattr(settings, "AXES_ACCOUNT_FAILURE_LIMIT", 20)
ADDRESS_LIMIT = getattr(settings, "AXES_ADDRESS_FAILURE_LIMIT", 30)


def _post(address: str, username: str, password: str) -> int:
    client = Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def test_the_limits_are_tiered() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert (settings.AXES_ACCOUNT_FAILURE_LIMIT, settings.AXES_ADDRESS_FAILURE_LIMIT) == (20, 30)


def test_a_slow_spray_from_many_addresses_locks_the_account(world) -> None:  # type: ignore[no-untyped-def]
    # Two guesses per address: never near the per-address limit.
    for n in range(ACCOUNT_LIMIT // 2 - 1):
        assert _post(f"203.0.113.{n}", "mette", "forkert-1") == 200
        assert _post(f"203.0.113.{n}", "mette", "forkert-2") == 200
    # One short of the account's limit: the owner still gets in from elsewhere.
    assert _post("203.0.113.200", "mette", "forkert-3") == 200
    assert _post("203.0.113.201", "mette", "forkert-4") == 429
    # Now the account's password step is locked from every address, also for the owner.
    assert _post("198.51.100.9", "mette", PASSWORD) == 429
    # Others are not: not the same address, not the same municipality.
    assert _post("203.0.113.201", "ali", PASSWORD) == 302
    # An administrator unlocks the account.
    call_command("axes_reset_username", "mette", stdout=io.StringIO())
    assert _post("198.51.100.9", "mette", PASSWORD) == 302


def test_one_address_trying_many_accounts_is_locked(world) -> None:  # type: ignore[no-untyped-def]
    guesser = "203.0.113.66"
    for n in range(ADDRESS_LIMIT - 1):
        assert _post(guesser, f"gaet{n}", "forkert-1") == 200
    assert _post(guesser, "mette", "forkert-1") == 429
    # Every account from that address, the right password too.
    assert _post(guesser, "ali", PASSWORD) == 429
    # The accounts themselves are not locked elsewhere.
    assert _post("198.51.100.9", "ali", PASSWORD) == 302
    assert _post("198.51.100.9", "mette", PASSWORD) == 302


def test_a_success_does_not_wipe_the_addresses_other_failures(world) -> None:  # type: ignore[no-untyped-def]
    """One office behind one address: a colleague signing in must not reset a guesser's
    count against another account from the same address."""
    office = "192.0.2.10"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post(office, "mette", "forkert-1") == 200
    assert _post(office, "ali", PASSWORD) == 302
    assert _post(office, "mette", "forkert-1") == 429
