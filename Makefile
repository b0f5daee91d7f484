# Convenience wrapper around CMake. `make` builds, `make demo` runs a real
# program under ward, `make check` runs the whole test suite (normal build,
# ASan+UBSan build, TSan build, the benchmark smoke test, the Rust bindings).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build demo check check-normal check-asan check-tsan check-bench check-rust bench deps install clean

all: build

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWARD_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

demo: build
	scripts/demo.sh

check-normal: build
	cd build && ctest --output-on-failure -j $(JOBS)

check-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARD_WERROR=ON -DWARD_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L unit

check-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARD_WERROR=ON -DWARD_SANITIZE=thread $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -L threads

# The benchmark suite at small sizes: every workload must run and verify its
# own result under ward and each peer (no timing is checked).
check-bench: build
	bench/run --quick

# The Rust crates (bindings/rust), offline: build, tests with the fast and
# the debug-mode library, clippy, rustdoc, rustfmt. Their `dynamic` feature
# is tested against build/libward-prefixed.so.
check-rust: build
	bindings/rust/ci.sh

check: check-normal check-asan check-tsan check-bench check-rust
	@echo "ward: all test suites passed"

# The full benchmark run (about 20 minutes): writes bench/RESULTS.md.
bench: build
	bench/run

install: build
	cmake --install build $(if $(PREFIX),--prefix $(PREFIX),)

clean:
	rm -rf build build-asan build-tsan
