"""The README's configuration table names every environment variable the code reads, and
nothing else: a variable added, renamed or removed in the code fails here until the table
follows."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = r"""["']([A-Z][A-Z0-9_]*)["']"""
# os.environ.get("X"), os.getenv("X"), envint("X", …), envbool("X"), os.environ["X"],
# "X" in os.environ
READS = [
    re.compile(rf"(?:os\.environ\.get|os\.getenv|\benv[a-z]+)\(\s*{NAME}"),
    re.compile(rf"os\.environ\[\s*{NAME}\s*\]"),
    re.compile(rf"{NAME}\s+in\s+os\.environ\b"),
]
# Names the code sets itself (DJANGO_SETTINGS_MODULE, the test database's file) are plumbing,
# not configuration.
SETS = re.compile(rf"os\.environ\.setdefault\(\s*{NAME}")


def code_variables() -> set[str]:
    read: set[str] = set()
    set_by_code: set[str] = set()
    for path in (ROOT / "kontaktlaege").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        for pattern in READS:
            read.update(pattern.findall(text))
        set_by_code.update(SETS.findall(text))
    return read - set_by_code


def readme_variables() -> set[str]:
    """The names in the first column of the table under "## Configuration"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_the_scan_finds_what_settings_reads() -> None:
    found = code_variables()
    assert {"DATABASE_URL", "SOCKET_DATABASE_THREADS", "FORWARDED_ALLOW_IPS"} <= found
    assert "DJANGO_SETTINGS_MODULE" not in found


def test_every_variable_the_code_reads_is_in_the_readme() -> None:
    missing = code_variables() - readme_variables()
    assert not missing, f"read by the code, missing from README's table: {sorted(missing)}"


def test_the_readme_names_no_variable_the_code_does_not_read() -> None:
    stale = readme_variables() - code_variables()
    assert not stale, f"in README's table, read nowhere in the code: {sorted(stale)}"
