"""Outcomes of a download run: per-file status, the closing table, the JSON summary, the exit code."""

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from etl.download.plan import Target

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class Status(enum.Enum):
    """What became of one archive file."""

    FETCHED = "fetched"
    SKIPPED = "skipped"
    MISSING = "missing"
    UNVERIFIED = "unverified"
    CORRUPT = "corrupt"
    FAILED = "failed"

    @property
    def is_error(self) -> bool:
        """Return whether this status makes the run exit non-zero."""
        return self in (Status.CORRUPT, Status.FAILED)

    @property
    def meaning(self) -> str:
        """Return a short explanation for the report's lists."""
        return _MEANINGS[self]


_MEANINGS = {
    Status.FETCHED: "downloaded and verified",
    Status.SKIPPED: "already present and verified",
    Status.MISSING: "404: not published by the archive; not an error",
    Status.UNVERIFIED: "kept without a .CHECKSUM (--allow-unverified); not an error",
    Status.CORRUPT: "rejected: does not match its .CHECKSUM; nothing kept",
    Status.FAILED: "could not be fetched; nothing new kept",
}


@dataclass(frozen=True)
class Outcome:
    """
    The result for one target.

    Parameters
    ----------
    target : Target
        The archive file.
    status : Status
        What became of it.
    detail : str
        Why, for anything but a plain fetch or skip.
    size : int
        Bytes downloaded for the zip (0 when nothing was downloaded).

    """

    target: Target
    status: Status
    detail: str = ""
    size: int = 0


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """Return the number of files per status, every status present (zeros included)."""
    tally = Counter(o.status for o in outcomes)
    return {status.value: tally[status] for status in Status}


def exit_code(outcomes: Sequence[Outcome], interrupted: bool = False) -> int:
    """Return 130 if interrupted, 1 if any file is corrupt or failed, else 0 (missing is fine)."""
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ERRORS if any(o.status.is_error for o in outcomes) else EXIT_OK


def format_report(outcomes: Sequence[Outcome], retried: int = 0) -> str:
    """
    Render the closing report: a count per status, then each file that is not fetched or skipped.

    Parameters
    ----------
    outcomes : Sequence[Outcome]
        One per target, in plan order.
    retried : int
        Requests that were retried during the run (shown when non-zero).

    Returns
    -------
    str
        Plain text, one line per row, without ANSI codes (safe for logs and pipes).

    """
    tally = counts(outcomes)
    width = max(len(s.value) for s in Status)
    downloaded = sum(o.size for o in outcomes)
    lines = [f"Download report: {len(outcomes)} files, {_human_bytes(downloaded)} downloaded"]
    if retried:
        lines[0] += f", {retried} requests retried"
    lines.append(f"  {'status':<{width}}  {'files':>6}")
    lines.extend(f"  {status.value:<{width}}  {tally[status.value]:>6}" for status in Status)
    for status in Status:
        listed = [o for o in outcomes if o.status is status]
        if not listed or status in (Status.FETCHED, Status.SKIPPED):
            continue
        lines.append(f"{status.value} ({status.meaning}):")
        lines.extend(f"  {o.target.path}" + (f"  [{o.detail}]" if o.detail else "") for o in listed)
    return "\n".join(lines)


def summary(
    outcomes: Sequence[Outcome],
    code: int,
    retried: int = 0,
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """
    Return the JSON-ready summary: the request, counts, exit code, every file with its status.

    Parameters
    ----------
    outcomes : Sequence[Outcome]
        One per target, in plan order.
    code : int
        The run's exit code.
    retried : int
        Requests that were retried.
    request : dict[str, Any] | None
        What was asked (market, symbols, dates, base URL ...), kept as provenance.

    Returns
    -------
    dict[str, Any]
        Plain JSON types only.

    """
    return {
        "request": request or {},
        "exit_code": code,
        "counts": counts(outcomes),
        "bytes_downloaded": sum(o.size for o in outcomes),
        "requests_retried": retried,
        "files": [
            {
                "path": str(o.target.path),
                "market": o.target.market,
                "family": o.target.family,
                "symbol": o.target.symbol,
                "period": o.target.period_label,
                "status": o.status.value,
                "detail": o.detail,
                "bytes": o.size,
            }
            for o in outcomes
        ],
    }


def _human_bytes(n: int) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    size, i = float(n), 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{n} B" if i == 0 else f"{size:.1f} {units[i]}"
