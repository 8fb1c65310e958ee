"""The generated national year (manage.py generate_year) for demos and the benchmark: its
employees' calls count under units of the health and social departments."""

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.stats.generate import WORKPLACES, generate
from kontaktlaege.stats.models import ConsultationFact


def test_generated_calls_have_units(db) -> None:  # type: ignore[no-untyped-def]
    made = generate(300)
    facts = list(ConsultationFact.objects.select_related("unit"))
    assert made == len(facts) == 300
    by_employees = [f for f in facts if f.workplace]
    assert by_employees and len(by_employees) < len(facts)
    # The unit is on the consultation, as join_queue records it, so a new rollup finds it.
    assert Consultation.objects.filter(employee_unit__isnull=False).count() == len(by_employees)
    for fact in by_employees:
        assert fact.unit is not None
        assert (fact.unit.name, fact.unit.municipality_id) == (fact.workplace, fact.municipality_id)
        assert fact.department == fact.unit.department == WORKPLACES[fact.workplace]
    assert {f.department for f in by_employees} == {"health", "social"}
    assert all(f.unit is None and f.department == "" for f in facts if not f.workplace)
