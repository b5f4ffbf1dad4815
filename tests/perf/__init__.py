"""chainrule's tests: tests/perf."""
