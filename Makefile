# 长者服务助手 — the two commands a new user needs are `make run` and `make test`.
.PHONY: setup run run-prod test test-fast lint bench bench-load clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/python -m assistant run

# production profile: 2 Rasa servers and 2 app workers on PostgreSQL + Redis
# (README "Capacity"); the same as ASSISTANT_PROFILE=production make run
run-prod: setup
	ASSISTANT_PROFILE=production .venv/bin/python -m assistant run

test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider

test-fast: setup
	.venv/bin/python -m pytest -q -m "not integration"

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy assistant actions knowledge voice connectors bench

bench: setup
	.venv/bin/python -m bench

# only the load scenario (50 chat users, then with 20 phone calls): ~3 minutes
bench-load: setup
	.venv/bin/python -m bench.load

clean:
	rm -rf var/rasa var/knowledge var/logs var/stamps
