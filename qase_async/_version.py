"""The package version: the one place it is written (the build reads it from here too)."""

__version__ = "0.1.0"
"""This package's version, as in its metadata and its User-Agent."""
