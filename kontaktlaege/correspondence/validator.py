"""Our own check of MedCom's CareCommunication rules, on top of fhir.resources (which checks
FHIR's structure and types but not code values or MedCom's profiles: a Communication without
a subject passes it). A subset of the implementation guide's rules, the ones a receiver
relies on; `problems()` lists what is wrong, empty when the message passes."""

import json
from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from kontaktlaege.directory.numbers import is_ean, is_sor

from . import fhir

Resource = dict[str, Any]
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"  # "not available"
ACTIVITIES = {"new-message", "reply-message", "forward-message", "modified-message"}


def parse_problems(raw: str | bytes, *, xml: bool = False) -> tuple[Bundle | None, list[str]]:
    """Parse FHIR JSON (or XML) into a bundle; a structural error is a problem too."""
    try:
        bundle = Bundle.model_validate_xml(raw) if xml else Bundle.model_validate_json(raw)
    except (ValidationError, ValueError) as error:
        first = str(error).splitlines()[:3]
        return None, ["not a valid FHIR Bundle: " + " ".join(first)]
    return bundle, problems(json.loads(bundle.model_dump_json()))


def validate(raw: str | bytes, *, xml: bool = False) -> list[str]:
    return parse_problems(raw, xml=xml)[1]


def _codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    codings = concept.get("coding", [])
    return {(c.get("system", ""), c.get("code", "")) for c in codings if isinstance(c, dict)}


def _identifiers(resource: Resource) -> dict[str, str]:
    return {i.get("system", ""): i.get("value", "") for i in resource.get("identifier", [])}


def problems(bundle: Resource) -> list[str]:
    return list(_problems(bundle))


def _problems(bundle: Resource) -> Iterator[str]:  # noqa: C901 — one rule after another
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "message":
        yield "Bundle.type must be 'message'"
    if not bundle.get("timestamp"):
        yield "Bundle.timestamp is required"
    entries = bundle.get("entry") or []
    if not entries:
        yield "the bundle has no entries"
        return
    index: dict[str, Resource] = {}
    for entry in entries:
        resource = entry.get("resource") or {}
        kind, rid = resource.get("resourceType", ""), resource.get("id", "")
        if not rid:
            yield f"{kind} without id"
            continue
        key = f"{kind}/{rid}"
        if not str(entry.get("fullUrl", "")).endswith(key):
            yield f"fullUrl of {key} does not end with its type and id"
        index[key] = resource

    def target(ref: Any, kind: str, what: str) -> Resource | None:
        reference = ref.get("reference", "") if isinstance(ref, dict) else ""
        if not reference.startswith(f"{kind}/"):
            problems_found.append(f"{what} must reference a {kind}")
            return None
        found = index.get(reference)
        if found is None:
            problems_found.append(f"{what} references {reference}, which is not in the bundle")
        return found

    problems_found: list[str] = []
    header = entries[0].get("resource") or {}
    if header.get("resourceType") != "MessageHeader":
        yield "the first entry must be the MessageHeader"
        return
    if (fhir.EVENT_SYSTEM, fhir.EVENT_CODE) not in _codes({"coding": [header.get("eventCoding")]}):
        yield "MessageHeader.eventCoding must be care-communication-message"
    destinations = header.get("destination") or []
    if not destinations:
        yield "MessageHeader.destination is required"
    organisations = []
    for d in destinations:
        if not str(d.get("endpoint", "")).startswith(fhir.SOR_ENDPOINT):
            yield "MessageHeader.destination.endpoint must be a SOR endpoint"
        organisations.append(target(d.get("receiver"), "Organization", "destination.receiver"))
    organisations.append(target(header.get("sender"), "Organization", "MessageHeader.sender"))
    if not str((header.get("source") or {}).get("endpoint", "")).startswith(fhir.SOR_ENDPOINT):
        yield "MessageHeader.source.endpoint must be a SOR endpoint"
    for org in organisations:
        if org is None:
            continue
        numbers = _identifiers(org)
        if not is_sor(numbers.get(fhir.SOR_SYSTEM, "")):
            yield f"Organization/{org.get('id')} needs a SOR identifier"
        if not is_ean(numbers.get(fhir.EAN_SYSTEM, "")):
            yield f"Organization/{org.get('id')} needs a valid EAN identifier"
    focus = header.get("focus") or []
    communication = target(focus[0] if focus else None, "Communication", "MessageHeader.focus")
    if communication is not None:
        yield from _communication(communication, target)
    provenances = [r for r in index.values() if r.get("resourceType") == "Provenance"]
    if not provenances:
        yield "the bundle needs a Provenance"
    header_key = f"MessageHeader/{header.get('id')}"
    if not any(t.get("reference") == header_key for p in provenances for t in p.get("target", [])):
        yield "no Provenance targets the MessageHeader"
    for p in provenances:
        codes = _codes(p.get("activity"))
        if not any(s == fhir.ACTIVITY_SYSTEM and c in ACTIVITIES for s, c in codes):
            yield f"Provenance/{p.get('id')}.activity must be a MedCom activity code"
        if not p.get("occurredDateTime") or not p.get("recorded"):
            yield f"Provenance/{p.get('id')} needs occurredDateTime and recorded"
        if not p.get("agent"):
            yield f"Provenance/{p.get('id')} needs an agent"
    for r in index.values():
        if r.get("resourceType") == "PractitionerRole":
            for s, c in _codes((r.get("code") or [{}])[0]):
                if s not in (fhir.ROLE_SYSTEM, NULL_FLAVOR) or not c:
                    yield f"PractitionerRole/{r.get('id')}.code must be a MedCom role code"
    yield from problems_found


def _communication(c: Resource, target: Any) -> Iterator[str]:
    if c.get("status") != "unknown":
        yield "Communication.status must be 'unknown'"
    categories = [code for cat in c.get("category", []) for code in _codes(cat)]
    if len(categories) != 1 or categories[0][0] != fhir.CATEGORY_SYSTEM:
        yield "Communication.category must be one MedCom category"
    elif categories[0][1] == "other" and not (c.get("topic") or {}).get("text"):
        yield "Communication.topic is required with the category 'other'"
    if not c.get("identifier"):
        yield "Communication.identifier is required"
    patient = target(c.get("subject"), "Patient", "Communication.subject")
    if patient is not None and not any(i.get("value") for i in patient.get("identifier", [])):
        yield "the Patient needs an identifier (CPR or a replacement)"
    payloads = c.get("payload") or []
    if not payloads:
        yield "Communication.payload is required"
    for n, payload in enumerate(payloads):
        if not any(k in payload for k in ("contentString", "contentAttachment")):
            yield f"Communication.payload[{n}] has no content"
        urls = {e.get("url") for e in payload.get("extension", [])}
        for needed in (fhir.EXT_DATETIME, fhir.EXT_IDENTIFIER):
            if needed not in urls:
                yield f"Communication.payload[{n}] lacks {needed.rsplit('/', 1)[1]}"
