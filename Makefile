# The README's two commands: `make demo` and `make test`.
# Both install the Debian packages the build needs (scripts/install-deps.sh is a
# no-op when they are present), configure a Release build and build with -j2.

BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
# ccache, when the machine has it, makes rebuilds in other checkouts cheap.
CCACHE := $(shell command -v ccache 2>/dev/null)
ifneq ($(CCACHE),)
CMAKE_FLAGS += -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE)
endif

.PHONY: all deps configure build demo test bench fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/tools/strata

# DuckDB's Node package (bench/node_modules): tests/csv_interop_test reads strata's
# CSV back with DuckDB's read_csv too.
test: build
	@[ -d bench/node_modules/@duckdb/node-api ] || \
	  npm ci --prefix bench --no-audit --no-fund --loglevel=error
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	@bash bench/run_all.sh $(BUILD)

# The libFuzzer targets (docs/fuzzing.md), built with clang-16, ASAN and UBSAN in
# build-fuzz, each run for FUZZ_SECONDS.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/install-deps.sh --fuzz
	@CC=clang-16 CXX=clang++-16 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSTRATA_FUZZ=ON -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCH=OFF $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	@rm -rf $(BUILD) $(FUZZ_BUILD)
