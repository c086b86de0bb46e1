# fcrdns-milter — build, test and run.
#   make            build lib/libfcrdns.a and milter/fcrdns-milter
#   make run        install what is missing, build, run in the foreground with conf/fcrdns-milter.conf
#   make check      install test dependencies, build, run every test: unit, DNS integration, milter
#                   (miltertest), Postfix and Sendmail end to end, SpamAssassin and rspamd rules on
#                   samples and on the mail those delivered, load, Prometheus (promtool), fleet,
#                   docs, fuzz replay, clang, ASan/UBSan, TSan
#   make bench      benchmarks: the core, the daemon, Postfix with and without it, memory (as root; a
#                   table and build/bench.json; FCR_BENCH_QUICK=1 for a short run), and the
#                   generic-name rules against SpamAssassin's and rspamd's
#   make fuzz       run the fuzz targets for FUZZ_SECONDS each
#   make install / uninstall   PREFIX (default /usr/local), DESTDIR
# Variables: CC, BUILD (object directory), SAN (e.g. address,undefined), PREFIX, DESTDIR.

CC       ?= cc
BUILD    ?= build
SAN      ?=
PREFIX   ?= /usr/local
DESTDIR  ?=

PKGS     := milter ldns
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
OPT      ?= -O2 -g
SANFLAGS := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all,)
CFLAGS   ?=
PCRE2_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
DATADIR  ?= $(PREFIX)/share/fcrdns-milter
CFLAGS   += $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -pthread -MMD -MP $(PCRE2_CFLAGS) \
            -DFCR_DATADIR='"$(DATADIR)"'
LDNS_LIBS  := $(shell pkg-config --libs ldns 2>/dev/null || echo -lldns)
LDLIBS_LIB := $(LDNS_LIBS) $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8) -pthread
MILTER_CFLAGS := $(shell pkg-config --cflags milter 2>/dev/null)
MILTER_LIBS   := $(shell pkg-config --libs milter 2>/dev/null || echo -lmilter)
CRIT_CFLAGS   := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS     := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

LIB_SRC    := $(sort $(wildcard lib/*.c lib/*/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A      := $(BUILD)/libfcrdns.a
MILTER_SRC := $(sort $(wildcard milter/*.c))
MILTER_OBJ := $(MILTER_SRC:%.c=$(BUILD)/%.o)
MILTER_BIN := $(BUILD)/fcrdns-milter
UNIT_SRC   := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(BUILD)/unit-tests
# The milter's own threading (background jobs, snapshots) is unit-tested too; it needs no libmilter.
UNIT_MILTER_OBJ := $(BUILD)/milter/jobs.o $(BUILD)/milter/snapshot.o $(BUILD)/milter/threadstack.o $(BUILD)/milter/stats.o
# The load tools (milterload: tests/bench/load/; dnsctl, smtpsend: tests/load/). Named here, before
# the rules that need them: make reads a rule's prerequisites as it meets the rule.
LOAD_SRC   := $(sort $(wildcard tests/bench/load/*.c))
LOAD_OBJ   := $(LOAD_SRC:%.c=$(BUILD)/%.o)
LOAD_BIN   := $(BUILD)/milterload
LOADTOOLS  := $(BUILD)/dnsctl $(BUILD)/smtpsend

.PHONY: all run check check-unit check-integration check-milter check-postfix check-sendmail check-rules check-load check-prometheus check-fleet soak check-asan check-tsan check-clang bench deps deps-run \
        install clean check-fuzz

all: $(MILTER_BIN) milter/fcrdns-milter

# The binary users run lives where the README says: milter/fcrdns-milter (a copy of the plain build).
milter/fcrdns-milter: $(BUILD)/fcrdns-milter
	@if [ "$(BUILD)" = build ] && [ -z "$(SAN)" ]; then cp $< $@; fi

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/milter/%.o: milter/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MILTER_CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CRIT_CFLAGS) -Ilib -Imilter -Itests/unit -c -o $@ $<

# config.o holds DATADIR (the default GenericNames file): rebuilt when it changes, so that
# `make install PREFIX=/usr` after a plain `make` does not keep the /usr/local path.
DATADIR_STAMP := $(BUILD)/datadir.$(shell printf '%s' '$(DATADIR)' | cksum | cut -d' ' -f1)
$(DATADIR_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/datadir.*
	@touch $@
$(BUILD)/lib/config/config.o: $(DATADIR_STAMP)

# ar keeps members by file name: two sources of one name in different folders would lose one.
$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	@dup=$$(for o in $^; do basename $$o; done | sort | uniq -d); \
	if [ -n "$$dup" ]; then echo "lib/: two sources named $$dup: rename one" >&2; exit 1; fi
	ar rcs $@ $^

$(MILTER_BIN): $(MILTER_OBJ) $(LIB_A)
	$(CC) $(CFLAGS) -o $@ $(MILTER_OBJ) $(LIB_A) $(MILTER_LIBS) $(LDLIBS_LIB)

$(UNIT_BIN): $(UNIT_OBJ) $(UNIT_MILTER_OBJ) $(LIB_A)
	$(CC) $(CFLAGS) -o $@ $(UNIT_OBJ) $(UNIT_MILTER_OBJ) $(LIB_A) $(CRIT_LIBS) $(LDLIBS_LIB)

# ---- dependencies (Debian 12) ----
BUILD_DEBS := build-essential pkg-config libmilter-dev libldns-dev libpcre2-dev
TEST_DEBS  := libcriterion-dev nsd unbound ldnsutils dnsutils miltertest swaks postfix clang \
              libclang-rt-14-dev iproute2 util-linux spamassassin rspamd mandoc groff-base prometheus
# Sendmail is not installed (sendmail-bin conflicts with postfix): its .debs are fetched once into
# SM_DEBS, outside build/ so that make clean keeps them, and unpacked by each run of its suite.
SM_DEBS    ?= $(CURDIR)/.cache/debs

deps:
	@sh tests/deps.sh $(BUILD_DEBS) $(TEST_DEBS)
	@sh tests/sendmail/debs.sh $(SM_DEBS) >/dev/null

deps-run:
	@sh tests/deps.sh $(BUILD_DEBS)

# ---- running ----
RUN_DIR  := $(CURDIR)/run
# The provider rules come from the tree (make install puts them where the binary looks by default).
run: deps-run
	@$(MAKE) --no-print-directory all
	@mkdir -p $(RUN_DIR)
	@echo "fcrdns-milter: listening on unix:$(RUN_DIR)/fcrdns-milter.sock"
	@echo "Postfix:  smtpd_milters = unix:$(RUN_DIR)/fcrdns-milter.sock"
	./milter/fcrdns-milter -f -c conf/fcrdns-milter.conf -o Socket=unix:$(RUN_DIR)/fcrdns-milter.sock \
		-o GenericNames=$(CURDIR)/conf/generic-names

# ---- tests ----
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-integration
	@$(MAKE) --no-print-directory check-milter
	@$(MAKE) --no-print-directory check-postfix
	@$(MAKE) --no-print-directory check-sendmail
	@$(MAKE) --no-print-directory check-rules
	@$(MAKE) --no-print-directory check-load
	@$(MAKE) --no-print-directory check-prometheus
	@$(MAKE) --no-print-directory check-fleet
	@$(MAKE) --no-print-directory check-docs
	@$(MAKE) --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory check-clang
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-tsan
	@echo "make check: all test suites passed"

check-unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

check-integration: $(MILTER_BIN)
	sh tests/integration/run.sh $(MILTER_BIN)

check-milter: $(MILTER_BIN)
	@sh tests/deps.sh prometheus
	sh tests/milter/run.sh $(MILTER_BIN)

# The MTA suites save the messages they delivered in DELIVERED, for check-rules.
DELIVERED := $(abspath $(BUILD))/delivered

# Throughput belongs to make bench (tests/bench/postfix.sh), not to every test run: the suite's own
# figures are skipped here.
check-postfix: $(MILTER_BIN)
	FCR_PF_BENCH_MSGS=0 FCR_DELIVERED=$(DELIVERED) sh tests/postfix/run.sh $(MILTER_BIN)

check-sendmail: $(MILTER_BIN)
	FCR_SM_DEBS=$(SM_DEBS) FCR_DELIVERED=$(DELIVERED) sh tests/sendmail/run.sh $(MILTER_BIN)

# SpamAssassin (lint, scores) and rspamd (configtest, symbols) on the hand-written samples of
# tests/spamassassin/messages/ and on the mail check-postfix and check-sendmail delivered (run them
# first: an empty DELIVERED fails).
check-rules:
	@sh tests/deps.sh spamassassin rspamd
	sh tests/spamassassin/run.sh conf/spamassassin --messages $(DELIVERED)
	sh tests/rspamd/run.sh conf/rspamd/local.d --messages $(DELIVERED)

# Under load with a resolver that dies and comes back: the bound, no errors, recovery (tests/load/).
check-load: $(MILTER_BIN) $(LOAD_BIN) $(BUILD)/dnsctl
	@sh tests/deps.sh prometheus
	sh tests/load/run.sh $(MILTER_BIN)

# The shipped alerting rules and scrape configuration, by promtool (tests/prometheus/).
check-prometheus:
	@sh tests/deps.sh prometheus
	sh tests/prometheus/run.sh

# Four milters, one unbound (2 threads) before NSD: a burst of one new address reaches NSD at most
# once per unbound thread; the figures of README.md's "Running several MX hosts" (tests/fleet/).
check-fleet: $(MILTER_BIN) $(LOAD_BIN)
	@sh tests/deps.sh prometheus
	sh tests/fleet/run.sh $(MILTER_BIN)

# Not in check: the long runs (about 20 minutes; FCR_SOAK_QUICK=1: about 2). Table on stdout and in
# $(BUILD)/soak.json.
soak: $(MILTER_BIN) $(LOAD_BIN) $(LOADTOOLS)
	FCR_SOAK_JSON=$(BUILD)/soak.json sh tests/load/soak.sh $(MILTER_BIN)

# clang, warnings as errors: compile everything, run nothing extra.
check-clang:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang $(UNIT_BIN:$(BUILD)/%=build/clang/%) build/clang/fcrdns-milter \
		build/clang/milterload build/clang/dnsctl build/clang/smtpsend \
		build/clang/null_milter build/clang/bindsrc.so build/clang/fastdns

check-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=address,undefined OPT="-O1 -g" \
		build/asan/unit-tests build/asan/fcrdns-milter
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/unit-tests --jobs 2
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/integration/run.sh build/asan/fcrdns-milter
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/milter/run.sh build/asan/fcrdns-milter
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 FCR_PF_BENCH_MSGS=0 FCR_PF_LOAD_MSGS=500 \
		sh tests/postfix/run.sh build/asan/fcrdns-milter

# TSan for the concurrent parts: the "concurrency" suite of the unit tests. Criterion's runner cannot
# start under TSan, so these tests are built against a small stand-in (tests/tsan/).
check-tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan SAN=thread OPT="-O1 -g" CC=clang build/tsan/tsan-tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build/tsan/tsan-tests concurrency/

TSAN_OBJ := $(UNIT_SRC:%.c=$(BUILD)/tsan-obj/%.o) $(BUILD)/tsan-obj/tests/tsan/main.o

$(BUILD)/tsan-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/tsan -Ilib -Imilter -Itests/unit -c -o $@ $<

$(BUILD)/tsan-tests: $(TSAN_OBJ) $(UNIT_MILTER_OBJ) $(LIB_A)
	$(CC) $(CFLAGS) -o $@ $(TSAN_OBJ) $(UNIT_MILTER_OBJ) $(LIB_A) $(LDLIBS_LIB) -lm

# Benchmarks print figures; they fail only when a result is wrong. tests/bench/README.md says what they mean.
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/fake_dns.o
BENCH_BIN := $(BUILD)/bench-core

$(BENCH_BIN): $(BENCH_OBJ) $(LIB_A)
	$(CC) $(CFLAGS) -o $@ $(BENCH_OBJ) $(LIB_A) $(LDLIBS_LIB)

# The milter-protocol load generator (tests/bench/load/): sessions as an MTA runs them, for load,
# soak and throughput runs. `build/milterload` with no arguments prints its usage.

$(BUILD)/tests/bench/load/%.o: tests/bench/load/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MILTER_CFLAGS) -c -o $@ $<

$(LOAD_BIN): $(LOAD_OBJ)
	$(CC) $(CFLAGS) -o $@ $(LOAD_OBJ)

-include $(LOAD_OBJ:.o=.d)

# Tools of the load and soak suites (tests/load/): a DNS server switched at run time between
# answering, never answering, answering late and flapping; an SMTP sender that records every reply.

$(BUILD)/dnsctl: tests/load/dnsctl.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_LIB)

$(BUILD)/smtpsend: tests/load/smtpsend.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -pthread

-include $(LOADTOOLS:=.d)

# The yardstick milter and smtp-source's source-address shim of the system benchmarks (tests/bench/tools/).
BENCH_TOOLS := $(BUILD)/null_milter $(BUILD)/bindsrc.so $(BUILD)/fastdns

$(BUILD)/null_milter: tests/bench/tools/null_milter.c milter/threadstack.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MILTER_CFLAGS) -Imilter -o $@ $(filter %.c,$^) $(MILTER_LIBS) $(LDNS_LIBS) -pthread

$(BUILD)/bindsrc.so: tests/bench/tools/bindsrc.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

$(BUILD)/fastdns: tests/bench/tools/fastdns.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

-include $(BUILD)/null_milter.d $(BUILD)/bindsrc.d $(BUILD)/fastdns.d

# Everything optimised (the default OPT), then the core, the milter-protocol, Postfix and memory
# benchmarks (11 minutes on 2 idle cores; FCR_BENCH_QUICK=1: about 2). Table on stdout and in
# $(BUILD)/bench.json (flat JSON, numbers only).
bench: $(MILTER_BIN) $(BENCH_BIN) $(LOAD_BIN) $(BENCH_TOOLS) $(BUILD)/generic-judge
	FCR_BENCH_JSON=$(BUILD)/bench.json FCR_BENCH_CORE_JSON=$(BUILD)/bench-core.json FCR_BENCH_TOOLS=$(BUILD) \
		sh tests/bench/run.sh $(MILTER_BIN) $(BENCH_BIN)
	sh tests/generic/compare.sh $(BUILD)/generic-judge

# The generic-name rules over a labelled set, for tests/generic/compare.sh.
$(BUILD)/generic-judge: tests/generic/judge.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -o $@ $< $(LIB_A) $(LDLIBS_LIB)

-include $(BENCH_OBJ:.o=.d)

# ---- installing ----
# `make install PREFIX=/usr DESTDIR=/tmp/stage` for a package. The configuration is read from
# /etc/fcrdns-milter.conf whatever PREFIX is; the example goes to DOCDIR, not over a live one. The
# shipped GenericNames file goes to DATADIR ($(PREFIX)/share/fcrdns-milter), where the binary,
# built with the same PREFIX, looks for it by default.
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/fcrdns-milter
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOC_FILES := README.md conf/fcrdns-milter.conf conf/postfix/main.cf.snippet conf/sendmail/fcrdns-milter.mc \
             conf/spamassassin/fcrdns.cf conf/rspamd/local.d/regexp.conf \
             conf/prometheus/fcrdns-milter.rules.yml conf/prometheus/fcrdns-milter.scrape.yml

.PHONY: uninstall check-docs

install: all
	install -D -m 0755 milter/fcrdns-milter $(DESTDIR)$(SBINDIR)/fcrdns-milter
	install -D -m 0644 man/fcrdns-milter.8 $(DESTDIR)$(MANDIR)/man8/fcrdns-milter.8
	install -D -m 0644 man/fcrdns-milter.conf.5 $(DESTDIR)$(MANDIR)/man5/fcrdns-milter.conf.5
	install -D -m 0644 conf/generic-names $(DESTDIR)$(DATADIR)/generic-names
	for f in $(DOC_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$${f#conf/} || exit 1; \
	done
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/fcrdns-milter|$(SBINDIR)/fcrdns-milter|g' systemd/fcrdns-milter.service \
		>$(DESTDIR)$(UNITDIR)/fcrdns-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fcrdns-milter.service
	install -D -m 0644 systemd/fcrdns-milter.sysusers $(DESTDIR)$(SYSUSERSDIR)/fcrdns-milter.conf
	install -D -m 0644 systemd/fcrdns-milter.tmpfiles $(DESTDIR)$(TMPFILESDIR)/fcrdns-milter.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fcrdns-milter $(DESTDIR)$(MANDIR)/man8/fcrdns-milter.8 \
		$(DESTDIR)$(MANDIR)/man5/fcrdns-milter.conf.5 $(DESTDIR)$(UNITDIR)/fcrdns-milter.service \
		$(DESTDIR)$(SYSUSERSDIR)/fcrdns-milter.conf $(DESTDIR)$(TMPFILESDIR)/fcrdns-milter.conf \
		$(DESTDIR)$(DATADIR)/generic-names
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	for f in $(DOC_FILES); do rm -f $(DESTDIR)$(DOCDIR)/$${f#conf/}; done
	-rmdir $(DESTDIR)$(DOCDIR)/rspamd/local.d $(DESTDIR)$(DOCDIR)/rspamd $(DESTDIR)$(DOCDIR)/postfix \
		$(DESTDIR)$(DOCDIR)/sendmail $(DESTDIR)$(DOCDIR)/spamassassin $(DESTDIR)$(DOCDIR)/prometheus \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

# ---- documentation and integration snippets ----
# Both manual pages lint-clean (mandoc warnings, groff warnings), every configuration keyword and
# every option documented (the SpamAssassin and rspamd rules: check-rules).
MAN_PAGES := man/fcrdns-milter.8 man/fcrdns-milter.conf.5

check-docs:
	@sh tests/deps.sh mandoc groff-base
	mandoc -Tlint -W warning $(MAN_PAGES)
	@for p in $(MAN_PAGES); do \
		out=$$(groff -mandoc -ww -z $$p 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; echo "check-docs: groff warns about $$p"; exit 1; fi; \
	done
	@for k in $$(sed -n '/ keys\[\] = {/,/^};/s/^[[:space:]]*{ "\([A-Za-z]*\)", .*/\1/p' lib/config/keys.c); do \
		grep -Eq "^\.It Cm (.*[ ,])?$$k( |$$)" man/fcrdns-milter.conf.5 || \
			{ echo "check-docs: keyword $$k is not in man/fcrdns-milter.conf.5"; exit 1; }; \
		grep -Eiq "^#?$$k( |$$)" conf/fcrdns-milter.conf || \
			{ echo "check-docs: keyword $$k is not in conf/fcrdns-milter.conf"; exit 1; }; \
	done
	@for o in $$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' milter/main.c | tr -d ':' | sed 's/./& /g'); do \
		grep -Eq "^\.It Fl $$o( |$$)" man/fcrdns-milter.8 || \
			{ echo "check-docs: option -$$o is not in man/fcrdns-milter.8"; exit 1; }; \
	done
	@echo "check-docs: manual pages lint-clean, every keyword and option documented"

clean:
	rm -rf build run milter/fcrdns-milter

-include $(LIB_OBJ:.o=.d) $(MILTER_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(TSAN_OBJ:.o=.d)

# ---- fuzzing (clang + libFuzzer, with ASan and UBSan) ----
# Each tests/fuzz/fuzz_X.c is linked with the lib objects built with the same sanitizers into
# $(BUILD)/fuzz/. `make fuzz` explores for FUZZ_SECONDS per target and keeps what it learns in
# $(BUILD)/fuzz/corpus/; `make check-fuzz` replays the seeds and the kept reproducers, then fuzzes
# briefly. Findings land in $(FUZZ_ARTIFACTS). stdin is /dev/null: a fuzzed config may name it.
FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 60
FUZZ_CHECK_RUNS ?= 20000
FUZZ_CHECK_SECONDS ?= 8
FUZZ_ARTIFACTS ?= $(BUILD)/fuzz/artifacts
FUZZ_CRASHES   ?= tests/fuzz/crashes
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := $(CSTD) $(WARN) -O1 -g $(FUZZ_SAN) -pthread -MMD -MP $(PCRE2_CFLAGS)
FUZZ_NAMES  := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
FUZZ_LIBOBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
FUZZ_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
FUZZ_OPTS   := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
# A target's dictionary, tests/fuzz/fuzz_X.dict, when it has one (in shell: $$t is the target).
FUZZ_DICT   := $$([ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict)

$(BUILD)/fuzz/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ilib -c -o $@ $<

# Named outside the pattern rule so that make keeps them (not intermediate files).
$(FUZZ_BINS): $(FUZZ_LIBOBJ)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ilib -o $@ $< $(FUZZ_LIBOBJ) $(LDLIBS_LIB)

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_ARTIFACTS)
	@failed=""; for t in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t; \
		echo "== $$t: $(FUZZ_SECONDS) s"; \
		$(FUZZ_ENV) $(BUILD)/fuzz/$$t $(FUZZ_OPTS) $(FUZZ_DICT) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(FUZZ_ARTIFACTS)/$$t- \
			$(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t </dev/null || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed (see $(FUZZ_ARTIFACTS))"; exit 1; fi

# Reproducers kept in $(FUZZ_CRASHES) are named after their target (fuzz_X-...) and must pass.
check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_ARTIFACTS)
	@for t in $(FUZZ_NAMES); do \
		rm -rf $(BUILD)/fuzz/check/$$t; mkdir -p $(BUILD)/fuzz/check/$$t; \
		set -- $(FUZZ_CRASHES)/$$t-*; \
		if [ -e "$$1" ]; then \
			$(FUZZ_ENV) $(BUILD)/fuzz/$$t $(FUZZ_OPTS) "$$@" </dev/null >$(BUILD)/fuzz/check/$$t.log 2>&1 \
				|| { tail -n 60 $(BUILD)/fuzz/check/$$t.log; echo "check-fuzz: $$t: a kept reproducer fails"; exit 1; }; \
		fi; \
		$(FUZZ_ENV) $(BUILD)/fuzz/$$t $(FUZZ_OPTS) $(FUZZ_DICT) -runs=$(FUZZ_CHECK_RUNS) \
			-max_total_time=$(FUZZ_CHECK_SECONDS) -artifact_prefix=$(FUZZ_ARTIFACTS)/$$t- \
			$(BUILD)/fuzz/check/$$t tests/fuzz/corpus/$$t </dev/null >$(BUILD)/fuzz/check/$$t.log 2>&1 \
			|| { tail -n 60 $(BUILD)/fuzz/check/$$t.log; echo "check-fuzz: $$t failed"; exit 1; }; \
		grep -h 'stat::number_of_executed_units' $(BUILD)/fuzz/check/$$t.log | sed "s/^/$$t: /"; \
	done
	@echo "check-fuzz: all fuzz targets passed"

-include $(FUZZ_LIBOBJ:.o=.d) $(FUZZ_BINS:=.d)
