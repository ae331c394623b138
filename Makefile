# One entry point. `make demo` and `make test` set up everything they need first.
.PHONY: setup test demo

setup:
	@scripts/setup

test: setup
	@scripts/test

demo: setup
	@scripts/demo
