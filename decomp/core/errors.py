"""Error types shared by the whole package.

Every error a user can provoke with bad input derives from DecompError, so the
CLI can turn it into one line and exit code 2 without catching programming
errors by accident.
"""


class DecompError(ValueError):
    """Bad input: a malformed format, an impossible rank, a corrupt file."""


class FormatError(DecompError):
    """A format string or format dimensions that make no sense."""


class SchemeError(DecompError):
    """Factor matrices of the wrong shape or with entries outside their ring."""


class FileFormatError(DecompError):
    """A scheme file that is missing, truncated, hostile or does not verify."""


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra."""
