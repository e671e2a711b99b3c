"""Problems found in a dataset, and the exception that carries them.

Validation never stops at the first problem: it collects every :class:`Problem` (each naming the
file, the image id and the annotation id where they apply) and the caller decides. Errors make a
dataset unusable; warnings describe something that was accepted, and how.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a problem is: an ``error`` rejects the dataset, a ``warning`` does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding of validation or import.

    Attributes
    ----------
    severity
        Error or warning.
    code
        A short stable identifier such as ``"duplicate-id"`` (tests and scripts match on it).
    message
        What is wrong, in words.
    file
        The file the problem was found in, if any.
    image_id, annotation_id
        The COCO ids concerned, if any.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    image_id: int | str | None = None
    annotation_id: int | str | None = None

    def __str__(self) -> str:
        where = [f"file {self.file}"] if self.file else []
        if self.image_id is not None:
            where.append(f"image {self.image_id}")
        if self.annotation_id is not None:
            where.append(f"annotation {self.annotation_id}")
        place = f" ({', '.join(where)})" if where else ""
        return f"{self.severity.value} [{self.code}]{place}: {self.message}"


def error(code: str, message: str, **where: object) -> Problem:
    """Build an error :class:`Problem`; ``where``: ``file``, ``image_id``, ``annotation_id``."""
    return Problem(Severity.ERROR, code, message, **where)  # type: ignore[arg-type]


def warning(code: str, message: str, **where: object) -> Problem:
    """Build a warning :class:`Problem` (``where`` as for :func:`error`)."""
    return Problem(Severity.WARNING, code, message, **where)  # type: ignore[arg-type]


def errors_of(problems: list[Problem]) -> list[Problem]:
    """Return only the errors among ``problems``."""
    return [p for p in problems if p.severity is Severity.ERROR]


def warnings_of(problems: list[Problem]) -> list[Problem]:
    """Return only the warnings among ``problems``."""
    return [p for p in problems if p.severity is Severity.WARNING]


class DatasetError(ValueError):
    """A dataset has errors; ``problems`` holds all of them (and the warnings found alongside).

    The message lists every error, so a user fixes them in one pass rather than one per run.
    """

    def __init__(self, problems: list[Problem], context: str = "dataset") -> None:
        self.problems = list(problems)
        errs = errors_of(self.problems)
        lines = [f"{context}: {len(errs)} error(s)"]
        lines += [f"  - {p}" for p in errs[:50]]
        if len(errs) > 50:
            lines.append(f"  ... and {len(errs) - 50} more")
        super().__init__("\n".join(lines))


def raise_if_errors(problems: list[Problem], context: str = "dataset") -> None:
    """Raise :class:`DatasetError` if ``problems`` contains at least one error."""
    if errors_of(problems):
        raise DatasetError(problems, context)
