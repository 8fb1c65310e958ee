"""Danish is the default language; English is complete as the second."""

import polib
import pytest
from django.conf import settings
from django.test import Client


@pytest.mark.django_db
def test_login_page_is_danish_by_default_and_english_on_request() -> None:
    assert "Brugernavn" in Client().get("/konto/log-ind/").content.decode()
    english = Client(headers={"accept-language": "en"}).get("/konto/log-ind/").content.decode()
    assert "Username" in english and "Brugernavn" not in english


def test_english_catalogue_is_complete() -> None:
    po = polib.pofile(str(settings.BASE_DIR / "kontaktlaege/locale/en/LC_MESSAGES/django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
