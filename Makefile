# The two commands a fresh clone needs (see README.md):
#   make run    set everything up, then the headline comparison (fragmented / committee / whistle),
#               where the gain comes from, and the headline over the calibrated posterior (stored)
#   make test   set everything up, then every test
.PHONY: setup browser run test lint docs

setup:
	@bash scripts/setup.sh

browser:
	@bash scripts/install-browser.sh

run: setup
	.venv/bin/cogov compare fragmented committee whistle
	@echo
	.venv/bin/cogov explain fragmented committee --from results/explain-fragmented-committee/explain.json --top 3
	@echo
	.venv/bin/cogov infer --show results/posterior

test: setup browser
	.venv/bin/python -m pytest -n auto --dist worksteal -m "not alone"
	.venv/bin/python -m pytest -m alone

lint: setup
	.venv/bin/ruff check cogov_sim tests

docs: setup
	.venv/bin/cogov params --markdown > docs/parameters.md
