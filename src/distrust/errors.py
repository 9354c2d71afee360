"""Errors: one base class, one subclass per subsystem. Bad *input* is never an error (it is a
`Skipped` record); these are for requests the tool cannot carry out and for our own bugs."""


class DistrustError(Exception):
    """The tool could not do what was asked. The CLI prints the message and exits 2."""


class ConfigError(DistrustError):
    """A configuration file, key or value is wrong. The message names the file and the key."""


class UsageError(DistrustError):
    """A command-line argument is wrong."""


class RuleError(DistrustError):
    """An exception raised inside a rule: our bug, reported with the rule and the file."""


class OutputError(DistrustError):
    """A report could not be written."""


class DepsError(DistrustError):
    """Dependency verification could not run (no database, unreadable manifest...)."""
