# relance — plain GNU make + pkg-config.
#   make          build build/relance
#   make demo     install what is missing, build, generate demo data, import, summarise
#   make test     install, build, run every test (unit + integration, SQLite and PostgreSQL)
#   make check    unit and integration tests under AddressSanitizer + UBSan
#   make bench    generate the bench data (cached in build/bench) and print figures and ratios
#   make fuzz     run each libFuzzer target for $(FUZZ_SECONDS) seconds

CC      ?= cc
PKGS    := icu-i18n icu-uc sqlite3 libpq jansson libsodium libcyaml yaml-0.1 libcurl libmicrohttpd \
           libre espeak-ng
# CFLAGS is the caller's (optimisation, sanitizers); the project's own flags
# are added apart so that `make CFLAGS=...` never drops -Werror or banned.h.
CFLAGS  ?= -O2 -g
RELANCE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wno-missing-field-initializers -include src/banned.h
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm
BUILD   ?= build

SRC      := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c))
LIB_SRC  := $(filter-out src/main.c,$(SRC))
GEN_SRC  := $(BUILD)/gen/migrations.c
OBJ      := $(SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
MIGRATIONS := $(sort $(wildcard src/store/migrations/*/*.sql))

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))

.PHONY: all demo test check bench fuzz setup clean unit
all: $(BUILD)/relance

setup:
	@scripts/setup

$(BUILD)/relance: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c $(wildcard src/*.h src/*/*.h src/*/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(RELANCE_CFLAGS) $(CFLAGS) -MMD -c -o $@ $<

$(GEN_SRC): $(MIGRATIONS) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/migrations.o: $(GEN_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(RELANCE_CFLAGS) $(CFLAGS) -Isrc/store -c -o $@ $<

# libsmpp34 is a test peer only (tests/unit/test_smpp_libsmpp34.c), never
# linked into relance.
$(BUILD)/test-unit: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs libsmpp34 2>/dev/null) -lcriterion

unit: $(BUILD)/test-unit

demo: setup
	$(MAKE) $(BUILD)/relance
	scripts/demo

test: setup
	$(MAKE) $(BUILD)/relance $(BUILD)/test-unit
	tests/run $(BUILD)

check: setup
	$(MAKE) BUILD=build/asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/relance build/asan/test-unit
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run build/asan

bench: setup
	$(MAKE) $(BUILD)/relance
	bench/run $(BUILD)

FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
              -Wall -Wextra -Werror -Wno-missing-field-initializers -include src/banned.h

$(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRC) $(GEN_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(CPPFLAGS) -Isrc/store -o $@ $< $(LIB_SRC) $(GEN_SRC) $(LDLIBS)

fuzz: setup
	$(MAKE) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(BUILD)/fuzz/corpus-$$t fuzz/corpus/$$t 2>&1 | tail -n 4; \
	done

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
