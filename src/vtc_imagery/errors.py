"""Errors that end a rule with one clear message naming the file or config key at fault."""


class InputDataError(Exception):
    """An input file is unreadable, incomplete or malformed. The message names the file and what is wrong."""


class ConfigError(Exception):
    """A config key is unknown or its value is invalid. The message names the key."""


class NotAvailable(Exception):
    """The input lacks what a stage analyses (no imagery trials, no VTC units, too few units for a
    model): not an error. The stage writes an explicit empty result carrying this reason
    (io.not_available), and the report says "not available on this input: <reason>"."""
