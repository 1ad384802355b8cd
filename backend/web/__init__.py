"""HTTP entry points, one blueprint per concern (see web/README.md)."""
