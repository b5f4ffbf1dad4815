"""chainrule's tests: tests."""
