"""chainrule's tests: tests/e2e."""
