"""The one exception type for bad user input (files, configs, arrays)."""


class BnnInputError(ValueError):
    """Bad input to bnnsplit-tb: the message names the file, field or value and what was expected."""
