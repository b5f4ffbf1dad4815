"""chainrule's tests: tests/engine."""
