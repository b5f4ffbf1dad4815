"""chainrule's tests: tests/server."""
