# Builds ngx_http_ims_member_module.so for the installed nginx (Debian's
# nginx-dev ships its configured source tree), and runs the tests.

SHELL       := /bin/bash

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx

# SANITIZE=undefined or SANITIZE=address,undefined: a build of its own, in
# build/undefined or build/address-undefined
comma       := ,
SANITIZE    ?=
BUILD       := $(CURDIR)/build$(if $(SANITIZE),/$(subst $(comma),-,$(SANITIZE)))
MODULE      := $(BUILD)/ngx_http_ims_member_module.so
SAN_OPT     := $(if $(SANITIZE),-fsanitize=$(SANITIZE) \
               -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Debian's own compiler flags, so that the module matches its nginx; every
# warning is an error in our sources
CC_OPT      := -g -O2 -fstack-protector-strong -Wformat \
               -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2 \
               $(SAN_OPT)
LD_OPT      := -Wl,-z,relro -Wl,-z,now -fPIC $(SAN_OPT)
WARN        := -Wall -Wextra -Werror

SRCS        := $(wildcard ngx_ims_member_module/*.c ngx_ims_member_module/*.h)

PROVE       ?= prove

# a failover manager's formation costs a minute: "make test-ha"
HA_TESTS    := t/140-auto-failover.t
TESTS       ?= $(filter-out $(HA_TESTS),$(wildcard t/*.t)) t/runner-selftest/

.PHONY: all clean check test test-unit test-nginx test-ssl test-pgbouncer \
        test-ha test-ubsan test-asan asan test-valgrind fuzz soak soak-short \
        bench deb test-deb

all: $(MODULE)

$(BUILD)/nginx/objs/Makefile: config
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx \
	    && source ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" \
	           --with-cc-opt="$(CC_OPT)" --with-ld-opt="$(LD_OPT)" \
	           --add-dynamic-module=$(CURDIR) > $(BUILD)/configure.log \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(SRCS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules \
	    CFLAGS="$$(sed -n 's/^CFLAGS =//p' \
	               $(BUILD)/nginx/objs/Makefile) $(WARN)"
	@# a new file, not an overwrite: a running nginx maps the old one
	cp $(BUILD)/nginx/objs/ngx_http_ims_member_module.so $(MODULE).tmp
	mv -f $(MODULE).tmp $(MODULE)

clean:
	rm -rf $(CURDIR)/build t/servroot* t/unit/*.bin
	$(MAKE) -C t/fuzz clean

test: test-unit test-nginx

# what CI runs: the suite, then its database files over SSL and through
# PgBouncer, the failover manager's file, the Debian package installed with
# apt, then the whole suite again under ASan and UBSan, then the fuzzers for
# a minute each
check: test test-ssl test-pgbouncer test-ha test-deb test-asan fuzz \
       soak-short

test-unit:
	$(MAKE) -C t/unit

# the real Test::Nginx::Socket when it is installed, else the bundled one
test-nginx: $(MODULE)
	if ! perl -MTest::Nginx::Socket -e1 2>/dev/null; then \
	    export PERL5LIB=$(CURDIR)/t/lib/runner$${PERL5LIB:+:$$PERL5LIB}; \
	fi; \
	TEST_NGINX_BINARY=$(NGINX_BIN) \
	TEST_NGINX_LOAD_MODULES=$(MODULE) \
	$(PROVE) -I t/lib -r $(TESTS)

# the files that talk to PostgreSQL most, on a cluster that takes SSL and a
# module that requires it (sslmode=require)
SSL_TESTS   := t/010-update.t t/030-pool.t t/050-batch.t t/060-jobs.t \
               t/061-jobs-listen.t

test-ssl:
	IMS_MEMBER_PG_SSL=1 $(MAKE) test-nginx TESTS="$(SSL_TESTS)"

# the files of updates, member calls, batches, jobs and their faults again
# through PgBouncer in transaction pooling mode, with ims_member_prepare
# off and the LISTEN of new jobs straight to PostgreSQL
PGBOUNCER_TESTS := t/010-update.t t/013-update-writes.t t/014-group-commit.t \
               t/015-api.t t/016-api-concurrency.t t/040-abort.t \
               t/050-batch.t t/052-batch-members.t t/060-jobs.t \
               t/061-jobs-listen.t t/062-jobs-faults.t t/070-jobs-workers.t

test-pgbouncer:
	IMS_MEMBER_PGBOUNCER=1 $(MAKE) test-nginx TESTS="$(PGBOUNCER_TESTS)"

# pg_auto_failover (a monitor and two nodes): switchover, crash, rejoin
test-ha:
	$(MAKE) test-nginx TESTS="$(HA_TESTS)"

# the Debian package libnginx-mod-http-ims-member (debian/), built from a
# copy of the tree, in build/deb/; lintian errors fail it
deb:
	bash scripts/deb.sh

# as root: the package installed with apt, a member update through Debian's
# nginx and the packaged schema and example, then removed and purged
test-deb: deb
	bash t/deb/install.sh

# the suite with the module built under UndefinedBehaviorSanitizer: any
# undefined behaviour aborts the worker, and the test that caused it fails
test-ubsan:
	$(MAKE) SANITIZE=undefined test-nginx

# under AddressSanitizer and UndefinedBehaviorSanitizer, ASan preloaded
# into Debian's nginx (t/lib/asan-nginx); any report aborts the worker and
# fails a test.  Leaks are valgrind's to find: nginx frees its pools only
# in part at exit.
test-asan:
	$(MAKE) SANITIZE=address,undefined \
	    NGINX_BIN=$(CURDIR)/t/lib/asan-nginx test-nginx

asan: test-asan

# libFuzzer harnesses of the parsers of untrusted input (t/fuzz), each run
# FUZZ_SECONDS (60); a crash or a sanitizer report fails
fuzz: $(MODULE)
	$(MAKE) -C t/fuzz

# under valgrind (memcheck, with valgrind.suppress): the reports are
# printed as warnings, and t/080-valgrind.t fails on a leak of the module
test-valgrind: $(MODULE)
	TEST_NGINX_USE_VALGRIND=1 $(MAKE) test-nginx

# faults: PostgreSQL restarts under concurrent updates, then batch jobs
# across a killed worker, a reload, a quit and a restart (bench/soak.py);
# fails on any lost acknowledgement or wrong row.  CI runs the short one.
soak: $(MODULE)
	python3 bench/soak.py

soak-short: $(MODULE)
	python3 bench/soak.py --short

# the benchmark: its own PostgreSQL and nginx, results in bench/results/
bench: $(MODULE)
	bash bench/run.sh $(BENCH_ARGS)
