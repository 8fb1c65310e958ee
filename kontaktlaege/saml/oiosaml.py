"""OIOSAML 3 attribute names and the NSIS assurance levels."""

ATTR_LOA = "https://data.gov.dk/concept/core/nsis/loa"
ATTR_PRIVILEGES = "https://data.gov.dk/model/core/eid/privilegesIntermediate"
ATTR_CVR = "https://data.gov.dk/model/core/eid/professional/cvr"
ATTR_PERSON_UUID = "https://data.gov.dk/model/core/eid/professional/uuid/persistent"
ATTR_CPR = "https://data.gov.dk/model/core/eid/cprNumber"
ATTR_FIRST_NAME = "https://data.gov.dk/model/core/eid/firstName"
ATTR_LAST_NAME = "https://data.gov.dk/model/core/eid/lastName"
ATTR_ORGANISATION_NAME = "https://data.gov.dk/model/core/eid/professional/orgName"

LEVELS = ("Low", "Substantial", "High")


def loa_uri(level: str) -> str:
    return f"{ATTR_LOA}/{level}"


def level_of(value: str) -> int:
    """0, 1, 2 for Low, Substantial, High, given as a name or its URI; -1 for anything else."""
    name = value.strip().rstrip("/").rsplit("/", 1)[-1]
    return LEVELS.index(name) if name in LEVELS else -1
