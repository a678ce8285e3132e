
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * Test doubles for exactly the nginx core functions that the units under
 * test call; no nginx object is linked.  Written from the functions'
 * documented behaviour (for ngx_utf8_decode(), also from what it is seen
 * to accept), not copied from nginx's code.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"


static void *ngx_stub_alloc(ngx_pool_t *pool, size_t size);


ngx_int_t   ngx_stub_alloc_left = -1;
ngx_uint_t  ngx_stub_pool_blocks;
ngx_uint_t  ngx_stub_log_errors;


/*
 * A pool whose every allocation is its own malloc() block, chained on
 * "large", so that valgrind sees each one; ngx_stub_pool_destroy() runs
 * the cleanup handlers, the last added first, as nginx does, then frees
 * the blocks.
 */

ngx_pool_t *
ngx_stub_pool_create(void)
{
    ngx_pool_t  *pool;

    pool = calloc(1, sizeof(ngx_pool_t));
    if (pool == NULL) {
        fprintf(stderr, "calloc() failed\n");
        exit(2);
    }

    return pool;
}


void
ngx_stub_pool_destroy(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
        ngx_stub_pool_blocks--;
    }

    free(pool);
}


static void *
ngx_stub_alloc(ngx_pool_t *pool, size_t size)
{
    ngx_pool_large_t  *l;

    if (ngx_stub_alloc_left == 0) {
        return NULL;
    }

    if (ngx_stub_alloc_left > 0) {
        ngx_stub_alloc_left--;
    }

    l = malloc(sizeof(ngx_pool_large_t));
    if (l == NULL) {
        return NULL;
    }

    /* malloc(0) may return NULL, which would read as a failure */

    l->alloc = malloc(size ? size : 1);
    if (l->alloc == NULL) {
        free(l);
        return NULL;
    }

    l->next = pool->large;
    pool->large = l;
    ngx_stub_pool_blocks++;

    return l->alloc;
}


/* unaligned memory from the pool; malloc() aligns it anyway */

void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_stub_alloc(pool, size);
}


/* aligned memory from the pool, as malloc() gives it */

void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_stub_alloc(pool, size);
}


/*
 * A cleanup record with "size" bytes of data for its handler (none if
 * size is 0), handler NULL; NULL if out of memory.
 */

ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = ngx_stub_alloc(p, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = ngx_stub_alloc(p, size);
        if (c->data == NULL) {
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


/* "len" bytes as 2 * len lowercase hex digits; returns the end */

u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static const u_char  digits[] = "0123456789abcdef";

    while (len--) {
        *dst++ = digits[*src >> 4];
        *dst++ = digits[*src & 0x0f];
        src++;
    }

    return dst;
}


/* "n" bytes copied with ASCII letters in lower case */

void
ngx_strlow(u_char *dst, u_char *src, size_t n)
{
    while (n--) {
        *dst++ = ngx_tolower(*src);
        src++;
    }
}


/* ASCII letters compared in either case, as nginx's function does */

ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n--) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }
    }

    return 0;
}


/* decimal digits only, NGX_ERROR otherwise, as nginx's function */

ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


/*
 * Decodes one UTF-8 sequence of two to four bytes at *p, of at most n
 * bytes.  Documented results:
 *
 *     0x80 - 0x10ffff        a character, *p moved past it;
 *     0x110000 - 0xfffffffd  an invalid sequence (a value out of range);
 *     0xfffffffe             an incomplete sequence, *p not moved;
 *     0xffffffff             an error.
 *
 * The double keeps what nginx's function is known to accept, so that the
 * checks of its callers see what they see in nginx: a continuation byte
 * is only required to have its high bit set (0xc0 - 0xff pass), UTF-16
 * surrogates (U+D800 - U+DFFF) pass, and before nginx 1.23.4 the lead
 * bytes 0xf8 - 0xff were taken for 0xf0 - 0xf7.  Overlong forms and lead
 * bytes 0x80 - 0xc1 are errors.
 */

uint32_t
ngx_utf8_decode(u_char **p, size_t n)
{
    u_char    *s;
    size_t     more;
    uint32_t   c, min;

    s = *p;

    if (s[0] >= 0xf0) {

#if (nginx_version >= 1023004)
        if (s[0] >= 0xf8) {
            (*p)++;
            return 0xffffffff;
        }
#endif

        more = 3;
        min = 0x10000;
        c = s[0] & 0x07;

    } else if (s[0] >= 0xe0) {
        more = 2;
        min = 0x800;
        c = s[0] & 0x0f;

    } else if (s[0] >= 0xc2) {
        more = 1;
        min = 0x80;
        c = s[0] & 0x1f;

    } else {
        (*p)++;
        return 0xffffffff;
    }

    if (n < more + 1) {
        return 0xfffffffe;
    }

    for (s++; more; more--, s++) {

        if ((*s & 0x80) == 0) {
            *p = s + 1;
            return 0xffffffff;
        }

        c = (c << 6) | (*s & 0x3f);
    }

    *p = s;

    return (c >= min) ? c : 0xffffffff;
}


/* only counted: the units log nothing that a check needs to read */

void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    ngx_stub_log_errors++;

    fprintf(stderr, "# log: level %lu, errno %d: %s\n",
            (unsigned long) level, (int) err, fmt);
}
