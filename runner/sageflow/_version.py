"""The one place the distribution's version is written."""

__version__ = "0.1.0"
