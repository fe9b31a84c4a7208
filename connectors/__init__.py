"""Connectors: plain-Python clients that map each source into the common records."""
