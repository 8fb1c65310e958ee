"""A last line of defence: every log record of the process has CPR-shaped numbers masked
before any handler sees it (a CPR typed into a URL still ends up in "Not Found: /…")."""

import logging
import re
from typing import Any

# ddmmyyxxxx, or with a hyphen, space, dot or Unicode dash between, and a plausible day and month.
CPR_LIKE = re.compile(
    r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}"
    r"[- .\u00a0\u2010-\u2015\u2212]?\d{4}(?!\d)"
)
MASK = "[cpr]"
_formatter = logging.Formatter()


def redact(text: str) -> str:
    return CPR_LIKE.sub(MASK, text)


def install() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "kl_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return record
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        return record

    factory.kl_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
