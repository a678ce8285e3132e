
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_UNIT_H_INCLUDED_
#define _NGX_UNIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* TAP-like checks, counted by unit.c */

#define unit_ok(cond, ...)                                                    \
    unit_check((cond) ? 1 : 0, 0, __FILE__, __LINE__, __VA_ARGS__)

/* a check that documents a known bug: reported, not counted as failed */
#define unit_todo(cond, ...)                                                  \
    unit_check((cond) ? 1 : 0, 1, __FILE__, __LINE__, __VA_ARGS__)

#define unit_is_int(got, expected, ...)                                       \
    unit_is_int_at((ngx_int_t) (got), (ngx_int_t) (expected),                 \
                   __FILE__, __LINE__, __VA_ARGS__)

/* "got" is an ngx_str_t, "expected" a string literal */
#define unit_is_str(got, expected, ...)                                       \
    unit_is_mem_at((got)->data, (got)->len, (u_char *) (expected),            \
                   sizeof(expected) - 1, __FILE__, __LINE__, __VA_ARGS__)

#define unit_is_mem(data, len, expected, elen, ...)                           \
    unit_is_mem_at(data, len, expected, elen, __FILE__, __LINE__,             \
                   __VA_ARGS__)


void unit_section(const char *name);
const char *unit_esc(u_char *p, size_t len);
ngx_int_t unit_check(ngx_int_t pass, ngx_int_t todo, const char *file,
    int line, const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
ngx_int_t unit_is_int_at(ngx_int_t got, ngx_int_t expected, const char *file,
    int line, const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
ngx_int_t unit_is_mem_at(u_char *got, size_t len, u_char *expected,
    size_t elen, const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 7, 8)));


/* the test doubles of ngx_stubs.c */

ngx_pool_t *ngx_stub_pool_create(void);
void ngx_stub_pool_destroy(ngx_pool_t *pool);

/* allocations that still succeed; negative: all of them */
extern ngx_int_t   ngx_stub_alloc_left;

/* blocks the stub pools hold, over all pools */
extern ngx_uint_t  ngx_stub_pool_blocks;

/* ngx_log_error_core() calls */
extern ngx_uint_t  ngx_stub_log_errors;

/* jansson's blocks not yet freed, counted by the runner's allocator */
extern ngx_int_t   unit_json_blocks;


void test_util(void);
void test_json(void);
void test_glance(void);
void test_keystone(void);
void test_digest(void);
void test_cause(void);


#endif /* _NGX_UNIT_H_INCLUDED_ */
