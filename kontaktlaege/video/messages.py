"""The texts the clinic's invitations send by SMS or e-mail, in the product's language, and
the preparation advice of reference 002 that confirmations carry. Bookings use them too."""

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _


def address_hash(recipient: str) -> str:
    """A keyed hash of a normalised phone number or e-mail address: invitations to one
    address can be counted without keeping the address in clear text."""
    key = hmac.new(settings.SECRET_KEY.encode(), b"invite-recipient", hashlib.sha256).digest()
    return hmac.new(key, recipient.strip().lower().encode(), hashlib.sha256).hexdigest()


def local(at: datetime) -> str:
    """A time as the person reads it: Copenhagen time, "3.12.2026 kl. 14.30"."""
    t = timezone.localtime(at)
    return f"{t.day}.{t.month}.{t.year} " + _("kl. %(time)s") % {"time": f"{t:%H.%M}"}


def preparation() -> list[str]:
    """How the patient prepares for a video consultation (reference 002, "Forbered
    patienten")."""
    return [
        _("Sid et roligt og fortroligt sted, hvor kun dem, du ønsker, kan høre samtalen."),
        _("Foretag de målinger, lægen har bedt om (fx vægt eller blodtryk), inden du går ind."),
        _("Hav telefonen tæt på, hvis du ikke bruger den til videoopkaldet."),
        _(
            "Gå ind i det virtuelle venteværelse i god tid, og bliv der, selv om lægen er "
            "forsinket – køen er fælles for alle klinikkens læger."
        ),
        _("Hav papir og blyant klar."),
    ]


def plan_b(clinic: Any) -> str:
    return _("Virker videoen ikke, så ring til klinikken på %(phone)s.") % {
        "phone": clinic.phone or "-"
    }


def invitation(clinic: Any, url: str, invite: Any) -> tuple[str, str]:
    """(subject, body) of an invitation: an SMS sends the body only."""
    with translation.override(settings.LANGUAGE_CODE):
        if invite.planned_at:
            intro = _("%(clinic)s inviterer dig til en videokonsultation %(when)s.") % {
                "clinic": clinic.name,
                "when": local(invite.planned_at),
            }
        else:
            intro = _("%(clinic)s inviterer dig til en videokonsultation.") % {
                "clinic": clinic.name
            }
        lines = [intro, _("Åbn linket på din telefon eller computer:"), url]
        lines.append(
            _("Linket kan bruges én gang og virker til %(expires)s.")
            % {"expires": local(invite.expires_at)}
        )
        lines.append(plan_b(clinic))
        subject = _("Invitation til videokonsultation hos %(clinic)s") % {"clinic": clinic.name}
        if invite.channel != "email":
            return subject, "\n".join(lines)
        greeting = (
            [_("Kære %(name)s") % {"name": invite.invitee_name}, ""] if invite.invitee_name else []
        )
        advice = ["", _("Sådan forbereder du dig:")] + [f"- {line}" for line in preparation()]
        return subject, "\n".join(greeting + lines + advice)
