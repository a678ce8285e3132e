
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * The runner: TAP-like lines, then "N passed, M failed"; the exit status
 * is 1 if a check failed.  A "todo" check documents a known bug of the
 * code under test: it is shown, but counted neither way.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdarg.h>
#include <jansson.h>

#include "unit.h"


static void unit_vline(ngx_int_t pass, ngx_int_t todo, const char *fmt,
    va_list args);
static void unit_dump(const char *what, u_char *p, size_t len);
static u_char *unit_escape(u_char *dst, u_char *last, u_char *p, size_t len);
static void *unit_json_malloc(size_t size);
static void unit_json_free(void *p);


static ngx_uint_t  unit_n;
static ngx_uint_t  unit_passed;
static ngx_uint_t  unit_failed;
static ngx_uint_t  unit_todos;

ngx_int_t          unit_json_blocks;


int
main(void)
{
    /* unbuffered, so that a crash leaves the lines before it */
    setvbuf(stdout, NULL, _IONBF, 0);

    json_set_alloc_funcs(unit_json_malloc, unit_json_free);

    test_util();
    test_json();
    test_glance();
    test_keystone();
    test_digest();
    test_cause();

    printf("1..%lu\n", (unsigned long) unit_n);

    if (unit_todos) {
        printf("# %lu todo (known bugs of the code under test, "
               "not counted)\n", (unsigned long) unit_todos);
    }

    printf("%lu passed, %lu failed\n",
           (unsigned long) unit_passed, (unsigned long) unit_failed);

    return (unit_failed || unit_passed == 0) ? 1 : 0;
}


void
unit_section(const char *name)
{
    printf("# %s\n", name);
}


ngx_int_t
unit_check(ngx_int_t pass, ngx_int_t todo, const char *file, int line,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    unit_vline(pass, todo, fmt, args);
    va_end(args);

    if (!pass && !todo) {
        printf("#   at %s line %d\n", file, line);
    }

    return pass;
}


ngx_int_t
unit_is_int_at(ngx_int_t got, ngx_int_t expected, const char *file, int line,
    const char *fmt, ...)
{
    va_list    args;
    ngx_int_t  pass;

    pass = (got == expected);

    va_start(args, fmt);
    unit_vline(pass, 0, fmt, args);
    va_end(args);

    if (!pass) {
        printf("#   at %s line %d\n#          got: %ld\n#     expected: %ld\n",
               file, line, (long) got, (long) expected);
    }

    return pass;
}


ngx_int_t
unit_is_mem_at(u_char *got, size_t len, u_char *expected, size_t elen,
    const char *file, int line, const char *fmt, ...)
{
    va_list    args;
    ngx_int_t  pass;

    pass = (got != NULL && len == elen && ngx_memcmp(got, expected, len) == 0);

    va_start(args, fmt);
    unit_vline(pass, 0, fmt, args);
    va_end(args);

    if (!pass) {
        printf("#   at %s line %d\n", file, line);
        unit_dump("got", got, len);
        unit_dump("expected", expected, elen);
    }

    return pass;
}


static void
unit_vline(ngx_int_t pass, ngx_int_t todo, const char *fmt, va_list args)
{
    unit_n++;

    if (todo) {
        unit_todos++;

    } else if (pass) {
        unit_passed++;

    } else {
        unit_failed++;
    }

    printf("%s %lu - ", pass ? "ok" : "not ok", (unsigned long) unit_n);
    vprintf(fmt, args);
    printf("%s\n", todo ? " # TODO known bug" : "");
}


/*
 * The bytes as printable ASCII, the others as C escapes, for a check's
 * name: valid until the fourth call after, cut at 255 characters.
 */

const char *
unit_esc(u_char *p, size_t len)
{
    u_char            *end;
    static u_char      buf[4][256];
    static ngx_uint_t  i;

    i = (i + 1) % 4;
    end = unit_escape(buf[i], buf[i] + sizeof(buf[i]) - 1, p, len);
    *end = '\0';

    return (const char *) buf[i];
}


static void
unit_dump(const char *what, u_char *p, size_t len)
{
    u_char  *buf, *end;

    if (p == NULL) {
        printf("#     %8s: NULL\n", what);
        return;
    }

    buf = malloc(4 * len + 1);
    if (buf == NULL) {
        printf("#     %8s: (%lu bytes)\n", what, (unsigned long) len);
        return;
    }

    end = unit_escape(buf, buf + 4 * len, p, len);

    printf("#     %8s: \"%.*s\" (%lu bytes)\n",
           what, (int) (end - buf), buf, (unsigned long) len);

    free(buf);
}


static u_char *
unit_escape(u_char *dst, u_char *last, u_char *p, size_t len)
{
    static const u_char  hex[] = "0123456789abcdef";

    for ( /* void */ ; len; len--, p++) {

        if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"') {
            if (dst == last) {
                break;
            }

            *dst++ = *p;
            continue;
        }

        if (last - dst < 4) {
            break;
        }

        *dst++ = '\\';
        *dst++ = 'x';
        *dst++ = hex[*p >> 4];
        *dst++ = hex[*p & 0x0f];
    }

    return dst;
}


/* jansson's memory, counted so that a test can see it all given back */

static void *
unit_json_malloc(size_t size)
{
    void  *p;

    p = malloc(size);

    if (p) {
        unit_json_blocks++;
    }

    return p;
}


static void
unit_json_free(void *p)
{
    if (p) {
        unit_json_blocks--;
    }

    free(p);
}
