"""MedCom CareCommunication message bundles (FHIR R4, built and parsed with fhir.resources'
R4B models, which are compatible for these resources).

One message: a Bundle of type "message" whose first entry is the MessageHeader; then the
Communication with the text as payload, the Patient (CPR), the sender's and receiver's
Organizations (SOR and EAN), the author's Practitioner and PractitionerRole, and the
Provenance of the message (new or reply). validator.py checks MedCom's rules on it."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

MEDCOM = "http://medcomfhir.dk/ig"
BASE = f"{MEDCOM}/carecommunication"
PROFILE_MESSAGE = f"{BASE}/StructureDefinition/medcom-careCommunication-message"
PROFILE_HEADER = f"{BASE}/StructureDefinition/medcom-careCommunication-messageHeader"
PROFILE_COMMUNICATION = f"{BASE}/StructureDefinition/medcom-careCommunication-communication"
PROFILE_PROVENANCE = f"{BASE}/StructureDefinition/medcom-careCommunication-provenance"
PROFILE_ORGANIZATION = f"{MEDCOM}/messaging/StructureDefinition/medcom-messaging-organization"
PROFILE_PATIENT = f"{MEDCOM}/core/StructureDefinition/medcom-core-patient"
PROFILE_PRACTITIONER = f"{MEDCOM}/core/StructureDefinition/medcom-core-practitioner"
PROFILE_ROLE = f"{MEDCOM}/core/StructureDefinition/medcom-core-practitionerrole"
DEFINITION = f"{BASE}/medcom-careCommunication-message-definition|4.0.0"
TERMINOLOGY = f"{MEDCOM}/terminology/CodeSystem"
EVENT_SYSTEM = f"{TERMINOLOGY}/medcom-messaging-eventCodes"
EVENT_CODE = "care-communication-message"
CATEGORY_SYSTEM = f"{TERMINOLOGY}/medcom-careCommunication-categoryCodes"
ACTIVITY_SYSTEM = f"{TERMINOLOGY}/medcom-messaging-activityCodes"
DESTINATION_USE = f"{MEDCOM}/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
DESTINATION_USE_SYSTEM = f"{TERMINOLOGY}/medcom-messaging-destinationUse"
ROLE_SYSTEM = f"{TERMINOLOGY}/medcom-core-PractitionerRolesSKSadministrativ"
EXT_DATETIME = f"{MEDCOM}/core/StructureDefinition/medcom-core-datetime-extension"
EXT_IDENTIFIER = f"{MEDCOM}/core/StructureDefinition/medcom-core-identifier-extension"
EXT_PRACTITIONER = f"{MEDCOM}/core/StructureDefinition/medcom-core-practitioner-extension"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
EAN_SYSTEM = "https://www.gs1.org/gln"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
SOR_ENDPOINT = "https://sor2.sum.dsdn.dk/#id="
FULL_URL = f"{BASE}/"
# The message's subject, in Danish whatever the sender's language (MedCom is Danish).
TOPIC = "Notat fra videokonsultation (Kontakt Læge)"
TOPIC_BY_PHONE = "Notat fra videokonsultation, fortsat over telefon (Kontakt Læge)"

# Job titles as the product's users write them → MedCom's (SKS) practitioner role codes.
ROLE_CODES = {
    "læge": "speciallaegeipraksis",
    "praktiserende læge": "speciallaegeipraksis",
    "lægesekretær": "laegesekretaer",
    "sygeplejerske": "sygeplejerske",
    "social- og sundhedsassistent": "socialogsundhedsassistent",
    "social- og sundhedsmedhjælper": "socialogsundhedsmedhjaelper",
    "sygehjælper": "sygehjaelper",
    "ergoterapeut": "ergoterapeut",
    "fysioterapeut": "fysioterapeut",
    "socialrådgiver": "socialraadgiver",
}


@dataclass(frozen=True)
class Organisation:
    name: str
    sor: str
    ean: str


@dataclass(frozen=True)
class Person:
    name: str
    role: str = ""  # a job title; its MedCom code when known


@dataclass(frozen=True)
class Reply:
    """The message replied to: its MessageHeader's id."""

    message_id: str


def role_code(title: str) -> str:
    return ROLE_CODES.get(title.strip().lower(), "")


def _split(name: str) -> dict[str, Any]:
    parts = name.split()
    if len(parts) < 2:
        return {"text": name, "family": name}
    return {"text": name, "given": parts[:-1], "family": parts[-1]}


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{FULL_URL}{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }


def _organisation(rid: str, org: Organisation) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "meta": {"profile": [PROFILE_ORGANIZATION]},
        "identifier": [
            {"system": EAN_SYSTEM, "value": org.ean},
            {"system": SOR_SYSTEM, "value": org.sor},
        ],
        "name": org.name,
    }


def build(
    *,
    message_id: str,
    sent_at: datetime,
    sender: Organisation,
    receiver: Organisation,
    author: Person,
    patient_cpr: str,
    patient_name: str,
    text: str,
    reply_to: Reply | None = None,
    topic: str = TOPIC,
) -> Bundle:
    """One CareCommunication message; `message_id` is the MessageHeader's id (a UUID)."""
    ids = {k: str(uuid.uuid4()) for k in ("comm", "patient", "sender", "receiver", "pr", "p")}
    ids["prov"] = str(uuid.uuid4())
    when = sent_at.isoformat(timespec="seconds")
    payload_id = f"urn:uuid:{uuid.uuid4()}"
    header = {
        "resourceType": "MessageHeader",
        "id": message_id,
        "meta": {"profile": [PROFILE_HEADER]},
        "eventCoding": {"system": EVENT_SYSTEM, "code": EVENT_CODE},
        "destination": [
            {
                "extension": [
                    {
                        "url": DESTINATION_USE,
                        "valueCoding": {"system": DESTINATION_USE_SYSTEM, "code": "primary"},
                    }
                ],
                "endpoint": f"{SOR_ENDPOINT}{receiver.sor}",
                "receiver": _ref("Organization", ids["receiver"]),
            }
        ],
        "sender": _ref("Organization", ids["sender"]),
        "source": {"endpoint": f"{SOR_ENDPOINT}{sender.sor}"},
        "focus": [_ref("Communication", ids["comm"])],
        "definition": DEFINITION,
    }
    communication = {
        "resourceType": "Communication",
        "id": ids["comm"],
        "meta": {"profile": [PROFILE_COMMUNICATION]},
        "identifier": [{"value": f"urn:uuid:{uuid.uuid4()}"}],
        "status": "unknown",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "other"}]}],
        "subject": _ref("Patient", ids["patient"]),
        "topic": {"text": topic},
        "payload": [
            {
                "extension": [
                    {"url": EXT_DATETIME, "valueDateTime": when},
                    {
                        "url": EXT_IDENTIFIER,
                        "valueIdentifier": {
                            "value": payload_id,
                            "assigner": _ref("Organization", ids["sender"]),
                        },
                    },
                    {
                        "url": EXT_PRACTITIONER,
                        "valueReference": _ref("PractitionerRole", ids["pr"]),
                    },
                ],
                "contentString": text,
            }
        ],
    }
    patient = {
        "resourceType": "Patient",
        "id": ids["patient"],
        "meta": {"profile": [PROFILE_PATIENT]},
        "identifier": [{"system": CPR_SYSTEM, "value": patient_cpr}],
        "name": [{"use": "official", **_split(patient_name)}],
    }
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": ids["pr"],
        "meta": {"profile": [PROFILE_ROLE]},
        "practitioner": _ref("Practitioner", ids["p"]),
        "organization": _ref("Organization", ids["sender"]),
    }
    if code := role_code(author.role):
        role["code"] = [{"coding": [{"system": ROLE_SYSTEM, "code": code}]}]
    practitioner = {
        "resourceType": "Practitioner",
        "id": ids["p"],
        "meta": {"profile": [PROFILE_PRACTITIONER]},
        "name": [_split(author.name)],
    }
    entity = [{"role": "source", "what": {"identifier": {"value": payload_id}}}]
    if reply_to is not None:
        entity.append({"role": "revision", "what": _ref("MessageHeader", reply_to.message_id)})
    provenance = {
        "resourceType": "Provenance",
        "id": ids["prov"],
        "meta": {"profile": [PROFILE_PROVENANCE]},
        "target": [_ref("MessageHeader", message_id)],
        "occurredDateTime": when,
        "recorded": when,
        "activity": {
            "coding": [
                {
                    "system": ACTIVITY_SYSTEM,
                    "code": "reply-message" if reply_to else "new-message",
                }
            ]
        },
        "agent": [{"who": _ref("Organization", ids["sender"])}],
        "entity": entity,
    }
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [PROFILE_MESSAGE]},
        "type": "message",
        "timestamp": when,
        "entry": [
            _entry(header),
            _entry(communication),
            _entry(patient),
            _entry(_organisation(ids["sender"], sender)),
            _entry(_organisation(ids["receiver"], receiver)),
            _entry(role),
            _entry(practitioner),
            _entry(provenance),
        ],
    }
    return Bundle.model_validate(bundle)


def to_json(bundle: Bundle) -> str:
    return bundle.model_dump_json()


def parse(raw: str | bytes) -> Bundle:
    """A bundle from FHIR JSON; pydantic's ValidationError when it is not a valid one."""
    return Bundle.model_validate_json(raw)


def as_dict(bundle: Bundle) -> dict[str, Any]:
    return json.loads(bundle.model_dump_json())  # type: ignore[no-any-return]
