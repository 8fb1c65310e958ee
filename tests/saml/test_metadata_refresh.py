"""The identity providers' metadata is loaded again when due or when its file changes; a
reload that fails keeps the metadata loaded before."""

import os
import time
from pathlib import Path

from kontaktlaege.saml import config
from tests.support.saml_idp import IdentityProvider

from .conftest import Federation


def _touch(path: Path) -> None:
    later = time.time() + 10  # another mtime even within the file system's resolution
    os.utime(path, (later, later))


def test_a_changed_file_is_loaded_again(federation: Federation, settings) -> None:  # type: ignore[no-untyped-def]
    assert config.loaded().entities[config.EMPLOYEE] == {federation.idp.entity_id}
    path = Path(settings.SAML_EMPLOYEE_IDP_METADATA[0])
    new = IdentityProvider(federation.directory, "http://new-idp.test", name="new")
    path.write_text(new.metadata_file().read_text())
    _touch(path)
    assert config.loaded().entities[config.EMPLOYEE] == {"http://new-idp.test/metadata"}


def test_metadata_is_loaded_again_after_the_refresh_time(federation: Federation, settings) -> None:  # type: ignore[no-untyped-def]
    first = config.loaded()
    assert config.loaded() is first
    settings.SAML_METADATA_REFRESH_SECONDS = 0
    assert config.loaded() is not first


def test_a_failed_reload_keeps_what_was_loaded(federation: Federation, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    before = config.loaded()
    path = Path(settings.SAML_EMPLOYEE_IDP_METADATA[0])
    path.write_text("<not metadata")
    _touch(path)
    assert config.loaded().entities == before.entities
    assert "could not be reloaded" in caplog.text


def test_metadata_can_come_from_a_url(federation: Federation, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.saml_idp import serving

    with serving(tmp_path) as broker:
        settings.SAML_EMPLOYEE_IDP_METADATA = [f"{broker.base}/metadata"]
        config.forget()
        assert config.loaded().entities[config.EMPLOYEE] == {broker.entity_id}
        location = federation.start(federation.client())
        assert location.startswith(f"{broker.base}/sso?SAMLRequest=")
