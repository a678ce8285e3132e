# Builds ngx_http_ims_member_module.so for the installed nginx (Debian's
# nginx-dev ships its configured source tree), and runs the tests.

SHELL       := /bin/bash

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       := $(CURDIR)/build
MODULE      := $(BUILD)/ngx_http_ims_member_module.so

# Debian's own compiler flags, so that the module matches its nginx; every
# warning is an error in our sources
CC_OPT      := -g -O2 -fstack-protector-strong -Wformat \
               -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
LD_OPT      := -Wl,-z,relro -Wl,-z,now -fPIC
WARN        := -Wall -Wextra -Werror

SRCS        := $(wildcard ngx_ims_member_module/*.c ngx_ims_member_module/*.h)

PROVE       ?= prove
TESTS       ?= t/

.PHONY: all clean test test-unit test-nginx bench

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
	rm -rf $(BUILD) t/servroot* t/unit/*.bin

test: test-unit test-nginx

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

# the benchmark: its own PostgreSQL and nginx, results in bench/results/
bench: $(MODULE)
	bash bench/run.sh
