"""Who signed in through which identity provider, which organisation (CVR) is which
municipality or clinic, and the assertions already used (a response is good once)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


class FederatedIdentity(Device):
    """A user's identity at one identity provider, keyed on the persistent NameID. It is also
    the session's second-factor "device" (django-otp): the provider checked two factors at
    assurance level Substantial or High, so such a session counts as verified."""

    idp = models.CharField(_("identitetsudbyder"), max_length=255)
    name_id = models.CharField(_("NameID"), max_length=255)
    # OIOSAML 3's professional/uuid/persistent: the person across their employers.
    person_uuid = models.CharField(_("persistent UUID"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("sidst logget ind"), null=True, blank=True)

    class Meta:
        verbose_name = _("føderal identitet")
        verbose_name_plural = _("føderale identiteter")
        constraints = [
            models.UniqueConstraint(fields=["idp", "name_id"], name="one_user_per_name_id"),
        ]

    def verify_is_allowed(self) -> tuple[bool, dict | None]:
        # No token can be typed for it: only the identity provider's sign-in verifies it.
        return False, None

    def verify_token(self, token: object) -> bool:
        return False


class Organisation(models.Model):
    """A CVR number as the identity providers send it, and what it is in the product: a
    municipality (its employees) or a clinic (its staff). Kept by an administrator."""

    cvr = models.CharField(_("CVR-nummer"), max_length=8, unique=True)
    municipality = models.OneToOneField(
        "directory.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("kommune"),
    )
    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("praksis"),
    )

    class Meta:
        verbose_name = _("organisation (CVR)")
        verbose_name_plural = _("organisationer (CVR)")
        constraints = [
            models.CheckConstraint(
                name="organisation_is_one_thing",
                condition=models.Q(municipality__isnull=False, clinic__isnull=True)
                | models.Q(municipality__isnull=True, clinic__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cvr} {self.municipality or self.clinic}"


class UsedAssertion(models.Model):
    """An accepted assertion's ID, kept until it expires: the same response posted again is
    refused, whichever browser posts it."""

    assertion_id = models.CharField(max_length=255, unique=True)
    not_on_or_after = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id
