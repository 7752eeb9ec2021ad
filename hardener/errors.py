"""The error types the CLI turns into exit codes.

``InputError`` is the user's problem (exit 2) and always names where the
problem is; ``InternalError`` is ours (exit 123): hardener refuses to emit
output it cannot vouch for.
"""

from __future__ import annotations


class HardenerError(Exception):
    """Base class for every error hardener reports without a traceback."""


class InputError(HardenerError):
    """The input cannot be read or parsed; nothing is written."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "<stdin>",
        document: int | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.document = document
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.document is not None:
            where += f" (document {self.document})"
        return f"{where}: {self.message}"


class ProfileError(HardenerError):
    """A profile is missing, malformed or asks for something unknown."""


class InternalError(HardenerError):
    """hardener produced something it cannot vouch for; nothing is emitted."""
