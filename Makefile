# A thin wrapper around Meson + Ninja. `make run` and `make test` are all a
# new machine needs: both install missing Debian packages first.
BUILD ?= build
SAN ?= build-san
FUZZ ?= build-fuzz
NODE ?= var/node
FUZZ_SECONDS ?= 60

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps console-deps build run test bench sanitize fuzz demo clean install

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized >/dev/null

# Ninja's own progress ([n/N] on one line on a terminal); its status is
# the target's.
build: deps $(BUILD)/build.ninja
	@echo "building in $(BUILD)/ (the binary: $(BUILD)/trilex)"
	@ninja -C $(BUILD)

# Installs the binary to $(DESTDIR)$(PREFIX)/bin/trilex (and the systemd
# unit, when dist/ has one, to $(DESTDIR)$(PREFIX)/lib/systemd/system/).
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/trilex $(DESTDIR)$(PREFIX)/bin/trilex
	@if [ -f dist/trilex.service ]; then \
		install -d $(DESTDIR)$(PREFIX)/lib/systemd/system && \
		install -m 0644 dist/trilex.service $(DESTDIR)$(PREFIX)/lib/systemd/system/; fi

run: build
	@./scripts/run-node $(BUILD)/trilex $(NODE) $(SHARE)

demo: build
	@./scripts/demo $(BUILD)/trilex var/demo

# The browser tests' npm packages, exactly as tests/console/package-lock.json
# pins them (nothing else is fetched).
console-deps:
	@[ -d tests/console/node_modules/playwright-core ] || \
		(cd tests/console && npm ci --no-audit --no-fund >/dev/null)

test: build console-deps
	meson test -C $(BUILD) --print-errorlogs

bench: build
	@./bench/run $(BUILD)

sanitize: deps
	@[ -f $(SAN)/build.ninja ] || meson setup $(SAN) -Db_sanitize=address,undefined \
		-Db_lundef=false --buildtype=debug >/dev/null
	ninja -C $(SAN) >/dev/null
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(SAN) --print-errorlogs --timeout-multiplier 4

fuzz:
	@./scripts/install-deps fuzz
	@[ -f $(FUZZ)/build.ninja ] || CC=clang meson setup $(FUZZ) -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C $(FUZZ) >/dev/null
	@./fuzz/run $(FUZZ) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ)
