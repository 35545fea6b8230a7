"""The version of cnncost."""

__version__ = "0.1.0"
