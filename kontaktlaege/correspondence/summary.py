"""The summary of a consultation for the municipality's care record (EOJ): who, when, clinic
and doctor, reason, outcome, and the doctor's notes delivered to the municipality, as a PDF
(fpdf2, its built-in Helvetica: Latin-1, which covers Danish)."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from kontaktlaege.consultations.models import Consultation

from .models import CareCommunication


def _latin1(text: str) -> str:
    return text.replace("–", "-").encode("latin-1", "replace").decode("latin-1")


def _when(value: object) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "–"  # type: ignore[arg-type]


def _started(consultation: Consultation) -> str:
    """The video start; a consultation the doctor took by phone from the queue started then."""
    if consultation.admitted_at or not consultation.phone_fallback_at:
        return _when(consultation.admitted_at)
    return _("%(when)s, over telefon") % {"when": _when(consultation.phone_fallback_at)}


def _doctor(consultation: Consultation) -> str:
    """Who admitted it; for one taken by phone from the queue, the clinic's staff who did."""
    by_phone = consultation.phone_fallback_by
    if consultation.admitted_by:
        return consultation.admitted_by.display_name
    if by_phone and by_phone.is_clinic_staff and by_phone.clinic_id == consultation.clinic_id:
        return by_phone.display_name
    return ""


def rows(consultation: Consultation) -> list[tuple[str, str]]:
    doctor = _doctor(consultation)
    phone = []
    if consultation.phone_fallback_at:
        phone = [(_("Fortsat over telefon"), _when(consultation.phone_fallback_at))]
    return [
        (_("Borger"), consultation.citizen_name or _("(uden borger)")),
        (_("CPR-nummer"), consultation.citizen_cpr if consultation.citizen_cpr_encrypted else "–"),
        (_("Medarbejder"), consultation.employee_name or "–"),
        (_("Kommune"), str(consultation.municipality or "–")),
        (_("Lægepraksis"), consultation.clinic.name),
        (_("Læge"), doctor or "–"),
        (_("Stillet i kø"), _when(consultation.queued_at)),
        (_("Startet"), _started(consultation)),
        *phone,
        (_("Afsluttet"), _when(consultation.ended_at)),
        (_("Hvad drejer konsultationen sig om"), consultation.reason),
        (_("Udfald"), str(consultation.get_state_display())),
    ]


def pdf(consultation: Consultation, notes: list[CareCommunication]) -> bytes:
    doc = FPDF(format="A4")
    doc.set_title(_latin1(_("Resumé af videokonsultation")))
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.multi_cell(0, 9, _latin1(_("Resumé af videokonsultation")), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    for label, value in rows(consultation):
        doc.set_font("Helvetica", "B", 11)
        doc.multi_cell(0, 6, _latin1(label), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", "", 11)
        doc.multi_cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)
    doc.set_font("Helvetica", "B", 13)
    doc.ln(2)
    doc.multi_cell(0, 8, _latin1(_("Lægens notat")), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 11)
    if not notes:
        doc.multi_cell(0, 6, _latin1(_("Intet notat sendt.")), new_x="LMARGIN", new_y="NEXT")
    for note in notes:
        heading = f"{_when(note.created_at)} · {note.author_name}"
        doc.set_font("Helvetica", "I", 10)
        doc.multi_cell(0, 6, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", "", 11)
        doc.multi_cell(0, 6, _latin1(note.text), new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    return bytes(doc.output())
