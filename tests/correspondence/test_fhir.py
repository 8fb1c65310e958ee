"""Our CareCommunication bundles and MedCom's own test messages through our validator: the
published valid ones pass, the invalid one is refused, ours pass and round-trip through
fhir.resources."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kontaktlaege.correspondence import fhir, validator
from kontaktlaege.directory.numbers import with_check_digit

EXAMPLES = sorted((Path(__file__).parent / "medcom" / "carecommunication-4.1.0").rglob("Bundle-*"))
VALID = [p for p in EXAMPLES if "invalid" not in p.name]
INVALID = [p for p in EXAMPLES if "invalid" in p.name]
SENDER = fhir.Organisation(
    "Lægehuset Nørrebro", "999006100001600", with_check_digit("579999900006")
)
RECEIVER = fhir.Organisation(
    "Københavns Kommune", "999001100001600", with_check_digit("579999900001")
)


def _ours(**overrides: object) -> dict:
    arguments: dict = {
        "message_id": str(uuid.uuid4()),
        "sent_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "sender": SENDER,
        "receiver": RECEIVER,
        "author": fhir.Person("Anne Holm", "Læge"),
        "patient_cpr": "0101401234",
        "patient_name": "Inger Jensen",
        "text": "Set over video. Hoste uden feber; kontakt igen ved forværring.",
    }
    arguments.update(overrides)
    return fhir.as_dict(fhir.build(**arguments))


def test_medcoms_examples_are_all_there() -> None:
    assert len([p for p in EXAMPLES if p.suffix == ".json"]) == 13
    assert len([p for p in EXAMPLES if p.suffix == ".xml"]) == 12
    assert len(INVALID) == 1


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name[:40])
def test_medcoms_valid_examples_pass(path: Path) -> None:
    assert validator.validate(path.read_bytes(), xml=path.suffix == ".xml") == []


def test_medcoms_invalid_example_is_refused() -> None:
    (path,) = INVALID
    problems = validator.validate(path.read_bytes(), xml=True)
    assert problems
    assert "payload" in problems[0].lower() or "content" in problems[0].lower()


def test_our_note_passes_and_round_trips() -> None:
    ours = _ours()
    assert validator.problems(ours) == []
    raw = json.dumps(ours)
    again = fhir.as_dict(fhir.parse(raw))
    assert again == ours
    assert validator.validate(raw) == []
    kinds = [e["resource"]["resourceType"] for e in ours["entry"]]
    assert kinds[0] == "MessageHeader"
    assert set(kinds) >= {
        "Communication",
        "Patient",
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Provenance",
    }
    communication = next(
        e["resource"]
        for e in ours["entry"]
        if e["resource"]["id"] and e["resource"]["resourceType"] == "Communication"
    )
    assert communication["payload"][0]["contentString"].startswith("Set over video.")
    orgs = [e["resource"] for e in ours["entry"] if e["resource"]["resourceType"] == "Organization"]
    numbers = {(i["system"], i["value"]) for o in orgs for i in o["identifier"]}
    assert (fhir.SOR_SYSTEM, SENDER.sor) in numbers and (fhir.EAN_SYSTEM, RECEIVER.ean) in numbers


def test_our_reply_passes_and_names_the_message_it_answers() -> None:
    original = str(uuid.uuid4())
    ours = _ours(sender=RECEIVER, receiver=SENDER, reply_to=fhir.Reply(original))
    assert validator.problems(ours) == []
    provenance = next(
        e["resource"] for e in ours["entry"] if e["resource"]["resourceType"] == "Provenance"
    )
    assert provenance["activity"]["coding"][0]["code"] == "reply-message"
    assert {"role": "revision", "what": {"reference": f"MessageHeader/{original}"}} in provenance[
        "entity"
    ]


def _without(bundle: dict, kind: str, field: str) -> dict:
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == kind:
            entry["resource"].pop(field)
    return bundle


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        # fhir.resources lets these through; MedCom's rules do not.
        (lambda b: _without(b, "Communication", "subject"), "Communication.subject"),
        (lambda b: _without(b, "Communication", "topic"), "topic"),
        (lambda b: _without(b, "Patient", "identifier"), "Patient needs an identifier"),
        (lambda b: _without(b, "Organization", "identifier"), "SOR"),
        (lambda b: {**b, "entry": b["entry"][1:]}, "first entry must be the MessageHeader"),
        (
            lambda b: {
                **b,
                "entry": [e for e in b["entry"] if e["resource"]["resourceType"] != "Provenance"],
            },
            "Provenance",
        ),
    ],
    ids=["no subject", "no topic", "no CPR", "no SOR/EAN", "header not first", "no provenance"],
)
def test_our_validator_refuses_what_fhir_resources_accepts(broken, problem: str) -> None:  # type: ignore[no-untyped-def]
    bundle = broken(_ours())
    fhir.parse(json.dumps(bundle))  # structurally still a valid FHIR bundle
    found = validator.problems(bundle)
    assert any(problem in p for p in found), found


def test_a_wrong_ean_check_digit_is_refused() -> None:
    wrong = RECEIVER.ean[:12] + str((int(RECEIVER.ean[12]) + 1) % 10)
    bundle = _ours(receiver=fhir.Organisation("Københavns Kommune", RECEIVER.sor, wrong))
    assert any("EAN" in p for p in validator.problems(bundle))
