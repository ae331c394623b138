# One entry point. `make demo` and `make test` set up everything they need first.
.PHONY: setup test demo build test-js test-worker test-e2e bench check-size check-package test-bundlers fuzz reliability

setup:
	@scripts/setup

test: setup
	@scripts/test

demo: setup
	@scripts/demo

build: setup
	@scripts/build

test-js: build
	@scripts/test-js

test-worker: build
	@scripts/test-worker

bench: build
	@scripts/bench

check-size: build
	@scripts/check-size

check-package: build
	@scripts/check-package

test-bundlers: build
	@scripts/test-bundlers

test-e2e: build
	@scripts/test-e2e

# Every fuzz target for 10 minutes, two at a time (about 30 minutes on 2 cores).
fuzz: setup
	@FUZZ_JOBS=2 scripts/fuzz 600

# Every figure of the README's Reliability section (about 25 minutes on 2 cores).
reliability: build
	@scripts/reliability
