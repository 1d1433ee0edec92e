# revlens: `make demo` and `make test` are the whole set-up (each installs what is missing).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=
# The build and test logs without a pair of "Entering/Leaving directory" lines around every CMake step.
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-asan demo test test-asan bench screenshot clean

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
	  $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DREVLENS_SANITIZE=ON -DREVLENS_BUILD_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" $(CMAKE_FLAGS) >/dev/null

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The main job on the embedded default: the demo portal, served by the emulator, synced into revlens.duckdb.
demo: build
	./$(BUILD)/revlens demo

# Whole suite: unit, integration, official-client and browser tests on the release build. The benchmarks are
# compiled too (about 45 s from cold), so a change that breaks one fails here, not when someone next measures.
test: build
	cmake --build $(BUILD) -j $(JOBS) --target benches
	@url="$${REVLENS_TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ]; then url="$$(./scripts/ensure_postgres.sh)"; fi; \
	export REVLENS_TEST_POSTGRES_URL="$$url"; \
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (its own build; CI runs it after `make test`).
test-asan: build-asan
	@url="$${REVLENS_TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ]; then url="$$(./scripts/ensure_postgres.sh)"; fi; \
	export REVLENS_TEST_POSTGRES_URL="$$url"; \
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

# The README's dashboard screenshot (docs/dashboard.png), taken by the browser test in Debian's Chromium.
screenshot: build
	REVLENS_BIN=$(CURDIR)/$(BUILD)/revlens REVLENS_SCREENSHOT=$(CURDIR)/docs/dashboard.png \
	  node --test tests/browser/dashboard.test.mjs

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target benches
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
