"""Errors that end a rule with one clear message naming the file or config key at fault."""


class InputDataError(Exception):
    """An input file is unreadable, incomplete or malformed. The message names the file and what is wrong."""


class ConfigError(Exception):
    """A config key is unknown or its value is invalid. The message names the key."""
