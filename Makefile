# The two commands of the README, and a few for developers.
.PHONY: setup demo run test lint bench

setup:  ## install the locked environment (uv), compiled to bytecode once so no command compiles at start
	@command -v uv >/dev/null || { echo "uv not found: install it with 'pip install uv'"; exit 1; }
	uv sync --frozen --all-extras --compile-bytecode

demo: setup  ## the README's main command: sample source, daily pipeline, dashboard at a local URL
	uv run insights demo

run: setup  ## generate the sample source if needed and run the daily pipeline locally
	uv run insights run

test: setup  ## lint, then every test (unit, spark, e2e)
	uv run ruff check .
	uv run ruff format --check .
	uv run pytest

lint:
	uv run ruff check . && uv run ruff format --check .

bench: setup  ## benchmarks (not tests): figures printed and written to bench/results/
	uv run python -m bench.pipeline
	uv run python -m bench.dashboard_latency
