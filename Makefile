# 长者服务助手 — the two commands a new user needs are `make run` and `make test`.
.PHONY: setup run test test-fast lint bench clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/python -m assistant run

test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider

test-fast: setup
	.venv/bin/python -m pytest -q -m "not integration"

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy assistant actions knowledge voice connectors bench

bench: setup
	.venv/bin/python -m bench

clean:
	rm -rf var/rasa var/knowledge var/logs var/stamps
