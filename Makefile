# consentgate - build, test, demo and install.
#
#   make            build build/consentgate and build/consentctl
#   make deps       install build and test dependencies (Debian 12, as root)
#   make check      deps + build + every test (unit, ASan/UBSan, miltertest,
#                   Postfix end to end, corpus)
#   make demo       a private Postfix with consentgate, eight sample mails
#                   (installs only build deps, Postfix and swaks)
#   make deb        ../consentgate_*.deb with dpkg-buildpackage (in a copy
#                   under /tmp: DEBDIR=/tmp/consentgate-deb)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
BUILD ?= build
VERSION = 0.1.0

CC ?= cc
PKGS = gmime-3.0 lmdb libpcre2-8 gumbo libidn2 json-glib-1.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) milter 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MILTER_LIBS := $(shell pkg-config --libs milter 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
# libpq (consentctl follow) only when its header and library are there;
# without it follow says so and everything else builds.  Only consentctl
# and the unit tests link it: the milter never talks to PostgreSQL.
HAVE_LIBPQ := $(shell pkg-config --exists libpq 2>/dev/null && \
	test -f "$$(pkg-config --variable=includedir libpq)/libpq-fe.h" && echo yes)
ifeq ($(HAVE_LIBPQ),yes)
PQ_CFLAGS := $(shell pkg-config --cflags libpq) -DCG_HAVE_LIBPQ
PQ_LIBS := $(shell pkg-config --libs libpq)
endif

OPT ?= -O2
CFLAGS ?= $(OPT) -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-missing-field-initializers -DCG_VERSION='"$(VERSION)"' $(PKG_CFLAGS) \
	$(PQ_CFLAGS)
LDLIBS = $(PKG_LIBS) -lspf2 -lpthread -lm

ifeq ($(SAN),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRC := $(sort $(wildcard common/*.c))
GATE_SRC := $(sort $(wildcard gate/*.c))
POLICY_SRC := $(sort $(wildcard policy/*.c policy/rules/*.c))
DB_SRC := $(sort $(wildcard db/*.c))
FMT_SRC := $(sort $(wildcard fmt/*.c))
MILTER_SRC := $(sort $(wildcard milter/*.c))
CTL_SRC := $(sort $(wildcard ctl/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(POLICY_SRC) $(DB_SRC)) \
	$(BUILD)/gen/advertising_lists.o $(BUILD)/gen/admodel.o
# What both programs link (layers 0-2: common, policy, db, gate).
SHARED_OBJ := $(LIB_OBJ) $(patsubst %.c,$(BUILD)/%.o,$(GATE_SRC))
MILTER_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(MILTER_SRC))
# The import/export formats: consentctl's, never the milter's.
FMT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(FMT_SRC))
CTL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CTL_SRC)) $(BUILD)/gen/scanner_agents.o \
	$(BUILD)/gen/report_template.o
# Everything but the two main() files, for the unit tests.
TESTABLE_OBJ := $(SHARED_OBJ) $(FMT_OBJ) $(filter-out $(BUILD)/milter/main.o,$(MILTER_OBJ)) \
	$(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJ))
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))

PROGS = $(BUILD)/consentgate $(BUILD)/consentctl

.PHONY: all deps check unit model unit-asan layering miltertest e2e corpus demo \
	replication deb deb-test \
	install clean bench fuzz fuzz-build hostile valgrind

all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The shipped advertising lists, compiled into the binary.
$(BUILD)/gen/advertising_lists.c: policy/advertising-de.txt \
		policy/advertising-en.txt scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh pol_builtin_advertising policy/advertising-de.txt \
		policy/advertising-en.txt > $@

# The shipped advertising detector model (make model writes it).
$(BUILD)/gen/admodel.c: policy/admodel.txt scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh pol_builtin_admodel policy/admodel.txt > $@

# The model's trainer and its data: make model retrains deterministically
# and writes policy/admodel.txt; the unit target checks that the shipped
# model equals a fresh run and prints the cross-validation.
ADMODEL_DATA := $(sort $(wildcard data/admodel/*.tsv))
$(BUILD)/admodel-train: tools/admodel-train.c $(BUILD)/common/textnorm.o \
		$(BUILD)/common/textnorm_turned.o \
		$(BUILD)/common/utf8.o $(BUILD)/common/buf.o \
		$(BUILD)/policy/adfeatures.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

model: $(BUILD)/admodel-train
	$(BUILD)/admodel-train -k 5 -v -o policy/admodel.txt $(ADMODEL_DATA)

# The shipped list of link-scanner user agents (consentctl ingest-log).
$(BUILD)/gen/scanner_agents.c: ctl/scanner-agents.txt scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh ctl_builtin_scanner_agents ctl/scanner-agents.txt > $@

# The report page (HTML and CSS with template slots, fmt/template.h), kept
# as a file and compiled in like the lists above: consentctl reads nothing
# at run time.
$(BUILD)/gen/report_template.c: data/report.html.in scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh ctl_report_template data/report.html.in > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c -o $@ $<

# consentgate = shared + milter; consentctl = shared + fmt + ctl, neither
# program links the other's objects, and consentctl not libmilter
# (tests/layering.sh checks both).
$(BUILD)/consentgate: $(SHARED_OBJ) $(MILTER_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(LDLIBS)

$(BUILD)/consentctl: $(SHARED_OBJ) $(FMT_OBJ) $(CTL_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(PQ_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TESTABLE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTABLE_OBJ) $(CMOCKA_LIBS) \
		$(MILTER_LIBS) $(LDLIBS) $(PQ_LIBS)

deps:
	@sh scripts/deps.sh

unit: $(TEST_BIN) $(PROGS) $(BUILD)/admodel-train
	@sh tests/run-unit.sh $(BUILD)
	@sh tests/admodel.sh $(BUILD)
	@sh tests/ctl.sh $(BUILD)

unit-asan:
	$(MAKE) BUILD=build-asan SAN=1 OPT=-O1 unit

layering: $(PROGS)
	@sh tests/layering.sh $(BUILD)
	@sh tests/man.sh

miltertest: $(PROGS)
	@sh tests/miltertest/run.sh $(BUILD)

e2e: $(PROGS)
	@sh tests/e2e/run.sh $(BUILD)
	@sh tests/e2e/doi.sh $(BUILD)
	@sh tests/e2e/archive.sh $(BUILD)
	@sh tests/e2e/doiretry.sh $(BUILD)
	@sh tests/e2e/marketing.sh $(BUILD)
	@sh tests/e2e/smtputf8.sh $(BUILD)
	@sh tests/e2e/parity.sh $(BUILD)
	@sh tests/e2e/parity-sets.sh $(BUILD)
	@sh tests/e2e/modes.sh $(BUILD)
	@sh tests/e2e/reload.sh $(BUILD)
	@sh tests/e2e/drain.sh $(BUILD)
	@sh tests/e2e/sendmail.sh $(BUILD)
	@sh tests/e2e/security.sh $(BUILD)
	@sh tests/e2e/privs.sh $(BUILD)
	@sh tests/e2e/faults.sh $(BUILD)
	@sh tests/e2e/oversize.sh $(BUILD)
	@sh tests/e2e/rcpt-refusals.sh $(BUILD)
	@sh tests/e2e/reimport.sh $(BUILD)
	@sh tests/e2e/lists.sh $(BUILD)
	@sh tests/e2e/replay.sh $(BUILD)
	@sh tests/e2e/chroot.sh $(BUILD)
	@sh tests/e2e/dkim.sh $(BUILD)

corpus: $(PROGS)
	@sh tests/corpus.sh $(BUILD)

valgrind: $(PROGS)
	@sh tests/valgrind.sh $(BUILD)

hostile: $(PROGS)
	@sh tests/hostile/run.sh $(BUILD)

# Two hosts replicating through a private PostgreSQL (as root; needs the
# postgresql and libpq-dev packages of make deps).
replication: $(PROGS)
	@sh tests/e2e/replication.sh $(BUILD)

# libFuzzer over parse + classify + every rule (clang).  FUZZ_TIME seconds.
FUZZ_TIME ?= 60
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 $(FUZZ_FLAGS)" \
		$(patsubst $(BUILD)/%,build-fuzz/%,$(SHARED_OBJ))
	clang -std=c11 -D_GNU_SOURCE -O1 -g $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o build-fuzz/fuzz_policy \
		tests/fuzz/fuzz_policy.c \
		$(patsubst $(BUILD)/%,build-fuzz/%,$(SHARED_OBJ)) $(LDLIBS)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh build-fuzz/fuzz_policy $(FUZZ_TIME)

$(BUILD)/evidence_bench: bench/evidence_bench.c $(TESTABLE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTABLE_OBJ) $(MILTER_LIBS) \
		$(PQ_LIBS) $(LDLIBS)

$(BUILD)/policybench: bench/policybench.c $(SHARED_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(SHARED_OBJ) $(LDLIBS)

bench: all $(BUILD)/evidence_bench $(BUILD)/policybench
	@sh bench/run.sh $(BUILD)

# The Debian package, built in a copy of the tree (dpkg-buildpackage writes
# its output to ..): the .deb ends up in $(DEBDIR).
DEBDIR ?= /tmp/consentgate-deb
deb:
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/src
	git ls-files -co --exclude-standard | grep -Ev '^build' | \
		tar -cf - -T - | tar -xf - -C $(DEBDIR)/src
	cd $(DEBDIR)/src && dpkg-buildpackage -us -uc -b
	@ls -l $(DEBDIR)/*.deb

# Build, lintian, dpkg -i, run the installed daemon, dpkg --purge (root).
deb-test: $(PROGS)
	@sh tests/deb.sh

check: deps
	$(MAKE) all
	$(MAKE) layering
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) miltertest
	$(MAKE) valgrind
	$(MAKE) e2e
	$(MAKE) replication
	$(MAKE) corpus
	$(MAKE) BUILD=build-asan SAN=1 OPT=-O1 corpus
	$(MAKE) hostile
	$(MAKE) BUILD=build-asan SAN=1 OPT=-O1 hostile
	$(MAKE) deb-test
	$(MAKE) fuzz FUZZ_TIME=60
	@echo "check: all tests passed"

# Only what the demo needs (scripts/deps.sh demo), not the test tool chain.
demo:
	@sh scripts/deps.sh demo
	$(MAKE) all
	@sh tests/e2e/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/consentgate \
		$(DESTDIR)$(SYSCONFDIR)/consentgate
	install -m 0755 $(BUILD)/consentgate $(DESTDIR)$(PREFIX)/sbin/consentgate
	install -m 0755 $(BUILD)/consentctl $(DESTDIR)$(PREFIX)/sbin/consentctl
	install -m 0644 milter.conf.sample \
		$(DESTDIR)$(PREFIX)/share/consentgate/consentgate.conf.sample
	install -m 0644 policy/advertising-de.txt policy/advertising-en.txt \
		$(DESTDIR)$(PREFIX)/share/consentgate/ 2>/dev/null || true
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/consentgate.8 man/consentctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/consentgate.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	test -e $(DESTDIR)$(SYSCONFDIR)/consentgate/consentgate.conf || \
		install -m 0644 milter.conf.sample \
		$(DESTDIR)$(SYSCONFDIR)/consentgate/consentgate.conf

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
