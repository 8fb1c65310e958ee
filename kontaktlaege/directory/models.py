"""Master data: regions, municipalities, clinics with their ydernumre and doctors, and the
embedded own-doctor registry (CPR → name and own ydernummer)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import cpr as cprlib
from .numbers import validate_ean, validate_sor


class Region(models.Model):
    name = models.CharField(_("navn"), max_length=100, unique=True)
    code = models.CharField(_("regionskode"), max_length=4, unique=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regioner")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    name = models.CharField(_("navn"), max_length=100, unique=True)
    code = models.CharField(_("kommunekode"), max_length=4, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("region"))
    # MedCom addressing (correspondence/): the organisation's SOR code and EAN location number.
    sor_code = models.CharField(_("SOR-kode"), max_length=18, blank=True, validators=[validate_sor])
    ean_number = models.CharField(
        _("EAN-lokationsnummer"), max_length=13, blank=True, validators=[validate_ean]
    )

    class Meta:
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    name = models.CharField(_("navn"), max_length=200)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    phone = models.CharField(_("telefon"), max_length=20, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, verbose_name=_("kommune")
    )
    offers_video = models.BooleanField(_("tilbyder videokonsultation"), default=True)
    # MedCom addressing (correspondence/): the organisation's SOR code and EAN location number.
    sor_code = models.CharField(_("SOR-kode"), max_length=18, blank=True, validators=[validate_sor])
    ean_number = models.CharField(
        _("EAN-lokationsnummer"), max_length=13, blank=True, validators=[validate_ean]
    )

    class Meta:
        verbose_name = _("lægepraksis")
        verbose_name_plural = _("lægepraksisser")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ydernummer(models.Model):
    number = models.CharField(_("ydernummer"), max_length=6, unique=True)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="ydernumre", verbose_name=_("praksis")
    )

    class Meta:
        verbose_name = _("ydernummer")
        verbose_name_plural = _("ydernumre")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Doctor(models.Model):
    name = models.CharField(_("navn"), max_length=200)
    ydernummer = models.ForeignKey(
        Ydernummer, on_delete=models.CASCADE, related_name="doctors", verbose_name=_("ydernummer")
    )

    class Meta:
        verbose_name = _("læge")
        verbose_name_plural = _("læger")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegistryEntry(models.Model):
    """The embedded stand-in for the national own-doctor registry."""

    cpr_encrypted = models.TextField(_("CPR-nummer (krypteret)"))
    cpr_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(_("navn"), max_length=200)
    ydernummer = models.ForeignKey(
        Ydernummer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("egen læge (ydernummer)"),
    )

    class Meta:
        verbose_name = _("borger i lægeregisteret")
        verbose_name_plural = _("borgere i lægeregisteret")

    def __str__(self) -> str:
        return self.name

    def set_cpr(self, cpr: str) -> None:
        self.cpr_encrypted = cprlib.encrypt(cpr)
        self.cpr_hash = cprlib.lookup_hash(cpr)

    @property
    def cpr(self) -> str:
        return cprlib.decrypt(self.cpr_encrypted)
