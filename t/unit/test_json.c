
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_json.h"


#define unit_s(text)  { sizeof(text) - 1, (u_char *) text }


typedef struct {
    ngx_str_t    text;
    ngx_int_t    rc;
} unit_parse_t;


typedef struct {
    ngx_str_t    text;
    ngx_uint_t   kind;
} unit_kind_t;


static void test_json_parse(void);
static void test_json_kind(void);
static void test_json_string(void);
static void test_json_strings(void);
static void test_json_child(void);
static void test_json_object(void);
static void test_json_error(void);
static void test_json_job(void);
static void unit_json_released(const char *name);


static unit_parse_t  unit_parses[] = {
    { unit_s("{}"), NGX_OK },
    { unit_s(" \t\r\n{ \"a\" : \"b\" } \n"), NGX_OK },
    { unit_s("{\"a\": {\"b\": [1, 2.5, true, false, null]}}"), NGX_OK },

    /* not an object */
    { unit_s(""), NGX_DECLINED },
    { unit_s("  "), NGX_DECLINED },
    { unit_s("[]"), NGX_DECLINED },
    { unit_s("[{\"status\": \"accepted\"}]"), NGX_DECLINED },
    { unit_s("\"status\""), NGX_DECLINED },
    { unit_s("1"), NGX_DECLINED },
    { unit_s("null"), NGX_DECLINED },
    { unit_s("true"), NGX_DECLINED },

    /* not JSON */
    { unit_s("{"), NGX_DECLINED },
    { unit_s("{\"a\": \"b\""), NGX_DECLINED },
    { unit_s("{\"a\":}"), NGX_DECLINED },
    { unit_s("{\"a\": \"b\",}"), NGX_DECLINED },
    { unit_s("{'a': 'b'}"), NGX_DECLINED },
    { unit_s("{a: \"b\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"b\"} x"), NGX_DECLINED },
    { unit_s("{\"a\": \"b\"}{}"), NGX_DECLINED },
    { unit_s("{\"a\": NaN}"), NGX_DECLINED },
    { unit_s("{\"a\": \"b\nc\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\\x41\"}"), NGX_DECLINED },
    { unit_s("\0{}"), NGX_DECLINED },
    { unit_s("{}\0"), NGX_DECLINED },

    /* strings the database could not hold */
    { unit_s("{\"a\": \"x\\u0000y\"}"), NGX_DECLINED },
    { unit_s("{\"a\\u0000\": \"x\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\xff\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\xc3\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\xed\xa0\x80\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\\ud800\"}"), NGX_DECLINED },
    { unit_s("{\"a\": \"\\udc00\\ud800\"}"), NGX_DECLINED },
    { unit_s("{\"\xff\": \"x\"}"), NGX_DECLINED },

    { ngx_null_string, 0 }
};


/* what Glance tells apart in a body that is not an object */

static unit_kind_t  unit_kinds[] = {
    { unit_s("{\"status\": 1}"), NGX_HTTP_IMS_MEMBER_JSON_OBJECT },
    { unit_s(" [] "), NGX_HTTP_IMS_MEMBER_JSON_ARRAY },
    { unit_s("[\"accepted\"]"), NGX_HTTP_IMS_MEMBER_JSON_ARRAY },
    { unit_s("5"), NGX_HTTP_IMS_MEMBER_JSON_SCALAR },
    { unit_s("\"accepted\""), NGX_HTTP_IMS_MEMBER_JSON_SCALAR },
    { unit_s("null"), NGX_HTTP_IMS_MEMBER_JSON_SCALAR },
    { unit_s("true"), NGX_HTTP_IMS_MEMBER_JSON_SCALAR },
    { unit_s(""), NGX_HTTP_IMS_MEMBER_JSON_MALFORMED },
    { unit_s("not json"), NGX_HTTP_IMS_MEMBER_JSON_MALFORMED },
    { unit_s("[1"), NGX_HTTP_IMS_MEMBER_JSON_MALFORMED },
    { unit_s("[] []"), NGX_HTTP_IMS_MEMBER_JSON_MALFORMED },
    { unit_s("\"\xff\""), NGX_HTTP_IMS_MEMBER_JSON_MALFORMED },
    { ngx_null_string, 0 }
};


void
test_json(void)
{
    test_json_parse();
    test_json_kind();
    test_json_string();
    test_json_strings();
    test_json_child();
    test_json_object();
    test_json_error();
    test_json_job();
}


static void
test_json_parse(void)
{
    u_char                      *deep;
    size_t                       i;
    ngx_int_t                    rc;
    ngx_str_t                    text;
    ngx_pool_t                  *pool;
    unit_parse_t                *t;
    ngx_http_ims_member_json_t  *doc;

    unit_section("json: ngx_http_ims_member_json_parse");

    for (t = unit_parses; t->text.data; t++) {
        pool = ngx_stub_pool_create();
        doc = NULL;

        rc = ngx_http_ims_member_json_parse(pool, t->text.data, t->text.len,
                                            &doc);

        unit_is_int(rc, t->rc, "parse \"%s\"",
                    unit_esc(t->text.data, t->text.len));

        if (t->rc == NGX_OK) {
            unit_ok(doc != NULL, "parse \"%s\" sets the document",
                    unit_esc(t->text.data, t->text.len));
        }

        ngx_stub_pool_destroy(pool);
    }

    unit_json_released("the documents");

    pool = ngx_stub_pool_create();

    /* an empty body may have no buffer */

    unit_is_int(ngx_http_ims_member_json_parse(pool, NULL, 0, &doc),
                NGX_DECLINED, "parse of no buffer");

    /* the length bounds the body, not a NUL */

    ngx_str_set(&text, "{\"a\": \"b\"}garbage");

    unit_is_int(ngx_http_ims_member_json_parse(pool, text.data, 10, &doc),
                NGX_OK, "parse the object before \"garbage\"");

    unit_is_int(ngx_http_ims_member_json_parse(pool, text.data, 9, &doc),
                NGX_DECLINED, "parse the first 9 bytes");

    /* nesting the parser refuses instead of exhausting the stack */

    deep = malloc(5 + 2 * 100000 + 1);
    if (deep == NULL) {
        fprintf(stderr, "malloc() failed\n");
        exit(2);
    }

    ngx_memcpy(deep, "{\"a\":", 5);
    ngx_memset(deep + 5, '[', 100000);
    ngx_memset(deep + 5 + 100000, ']', 100000);
    deep[5 + 2 * 100000] = '}';

    unit_is_int(ngx_http_ims_member_json_parse(pool, deep,
                                               5 + 2 * 100000 + 1, &doc),
                NGX_DECLINED, "parse arrays nested 100000 deep");

    free(deep);

    /* several documents of one pool: all released with it */

    for (i = 0; i < 10; i++) {
        ngx_str_set(&text, "{\"images\": [\"a\", \"b\"], \"status\": \"x\"}");

        rc = ngx_http_ims_member_json_parse(pool, text.data, text.len, &doc);

        if (rc != NGX_OK) {
            break;
        }
    }

    unit_is_int(i, 10, "parse 10 documents into one pool");
    unit_ok(unit_json_blocks > 0, "the pool holds the documents");

    ngx_stub_pool_destroy(pool);

    unit_json_released("a pool of documents");

    /* out of memory */

    ngx_str_set(&text, "{\"a\": \"b\"}");

    for (i = 0; i < 2; i++) {
        pool = ngx_stub_pool_create();
        ngx_stub_alloc_left = i;

        unit_is_int(ngx_http_ims_member_json_parse(pool, text.data, text.len,
                                                   &doc),
                    NGX_ERROR, "parse with %lu allocations left",
                    (unsigned long) i);

        ngx_stub_alloc_left = -1;
        ngx_stub_pool_destroy(pool);
    }

    unit_json_released("out of memory");
    unit_is_int(ngx_stub_pool_blocks, 0, "the pools are released");
}


static void
test_json_string(void)
{
    ngx_str_t                    text, v;
    ngx_pool_t                  *pool;
    ngx_http_ims_member_json_t  *doc;

    unit_section("json: ngx_http_ims_member_json_string");

    pool = ngx_stub_pool_create();

    ngx_str_set(&text, "{\"status\": \"accepted\", \"vault_id\": null, "
                       "\"n\": 1, \"f\": 0.5, \"t\": true, \"a\": [\"x\"], "
                       "\"o\": {\"status\": \"x\"}, \"e\": \"\", "
                       "\"esc\": \"q\\\"b\\\\s\\/\\u00e9\\ud83d\\ude00\\n\", "
                       "\"dup\": \"first\", \"dup\": \"last\"}");

    if (ngx_http_ims_member_json_parse(pool, text.data, text.len, &doc)
        != NGX_OK)
    {
        unit_ok(0, "parse the document of the string checks");
        ngx_stub_pool_destroy(pool);
        return;
    }

    unit_is_int(ngx_http_ims_member_json_string(doc, "status", &v), NGX_OK,
                "a string");
    unit_is_str(&v, "accepted", "its value");

    unit_is_int(ngx_http_ims_member_json_string(doc, "e", &v), NGX_OK,
                "an empty string");
    unit_is_int(v.len, 0, "its length");
    unit_ok(v.data != NULL, "its data is not NULL");

    unit_is_int(ngx_http_ims_member_json_string(doc, "esc", &v), NGX_OK,
                "a string with escapes");
    unit_is_str(&v, "q\"b\\s/\xc3\xa9\xf0\x9f\x98\x80\n",
                "its value, in UTF-8");

    unit_is_int(ngx_http_ims_member_json_string(doc, "dup", &v), NGX_OK,
                "a member given twice");
    unit_is_str(&v, "last", "the last one counts, as in Python");

    unit_is_int(ngx_http_ims_member_json_string(doc, "missing", &v),
                NGX_DECLINED, "an absent member");
    unit_is_int(ngx_http_ims_member_json_string(doc, "Status", &v),
                NGX_DECLINED, "names are case-sensitive");
    unit_is_int(ngx_http_ims_member_json_string(doc, "", &v),
                NGX_DECLINED, "an empty name");

    unit_is_int(ngx_http_ims_member_json_string(doc, "vault_id", &v),
                NGX_ABORT, "null is not a string");
    unit_is_int(ngx_http_ims_member_json_string(doc, "n", &v),
                NGX_ABORT, "an integer is not a string");
    unit_is_int(ngx_http_ims_member_json_string(doc, "f", &v),
                NGX_ABORT, "a real is not a string");
    unit_is_int(ngx_http_ims_member_json_string(doc, "t", &v),
                NGX_ABORT, "true is not a string");
    unit_is_int(ngx_http_ims_member_json_string(doc, "a", &v),
                NGX_ABORT, "an array is not a string");
    unit_is_int(ngx_http_ims_member_json_string(doc, "o", &v),
                NGX_ABORT, "an object is not a string");

    ngx_stub_pool_destroy(pool);

    unit_json_released("the document");
}


static void
test_json_strings(void)
{
    ngx_str_t                    text, v;
    ngx_uint_t                   n;
    ngx_pool_t                  *pool;
    ngx_http_ims_member_json_t  *doc;

    unit_section("json: ngx_http_ims_member_json_strings");

    pool = ngx_stub_pool_create();

    ngx_str_set(&text, "{\"images\": [\"a\", \"b\\\"\", \"\\u00e9\"], "
                       "\"empty\": [], \"mixed\": [\"a\", 1], "
                       "\"nested\": [[\"a\"]], \"s\": \"a\", "
                       "\"long\": [\"a\", \"b\", \"c\", 1]}");

    if (ngx_http_ims_member_json_parse(pool, text.data, text.len, &doc)
        != NGX_OK)
    {
        unit_ok(0, "parse the document of the strings checks");
        ngx_stub_pool_destroy(pool);
        return;
    }

    n = 0;

    unit_is_int(ngx_http_ims_member_json_strings(doc, "images", 3, pool,
                                                 &v, &n),
                NGX_OK, "3 strings, at most 3");
    unit_is_str(&v, "[\"a\",\"b\\\"\",\"\xc3\xa9\"]",
                "as compact JSON in UTF-8");
    unit_is_int(n, 3, "their number");

    unit_is_int(ngx_http_ims_member_json_strings(doc, "images", 2, pool,
                                                 &v, &n),
                NGX_ABORT, "3 strings, at most 2");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "missing", 3, pool,
                                                 &v, &n),
                NGX_DECLINED, "absent");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "empty", 3, pool,
                                                 &v, &n),
                NGX_DECLINED, "empty");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "mixed", 3, pool,
                                                 &v, &n),
                NGX_DECLINED, "not all strings");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "nested", 3, pool,
                                                 &v, &n),
                NGX_DECLINED, "an array of an array");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "s", 3, pool,
                                                 &v, &n),
                NGX_DECLINED, "a string");
    unit_is_int(ngx_http_ims_member_json_strings(doc, "long", 2, pool,
                                                 &v, &n),
                NGX_DECLINED, "too long and not all strings");

    ngx_stub_alloc_left = 0;

    unit_is_int(ngx_http_ims_member_json_strings(doc, "images", 3, pool,
                                                 &v, &n),
                NGX_ERROR, "out of memory");

    ngx_stub_alloc_left = -1;

    ngx_stub_pool_destroy(pool);

    unit_json_released("the document");
}


static void
test_json_child(void)
{
    ngx_str_t                    text, v;
    ngx_uint_t                   n;
    ngx_pool_t                  *pool;
    ngx_http_ims_member_json_t  *doc, *child;

    unit_section("json: ngx_http_ims_member_json_child, json_array, "
                 "json_element_string");

    pool = ngx_stub_pool_create();

    ngx_str_set(&text, "{\"o\": {\"id\": \"p\"}, \"z\": null, "
                       "\"s\": \"x\", \"a\": [{\"name\": \"r\"}, "
                       "{\"name\": 1}, \"q\"], \"e\": []}");

    if (ngx_http_ims_member_json_parse(pool, text.data, text.len, &doc)
        != NGX_OK)
    {
        unit_ok(0, "parse the document of the child checks");
        ngx_stub_pool_destroy(pool);
        return;
    }

    unit_is_int(ngx_http_ims_member_json_child(pool, doc, "o", &child),
                NGX_OK, "an object member");
    unit_is_int(ngx_http_ims_member_json_string(child, "id", &v), NGX_OK,
                "  read as a document of its own");
    unit_is_str(&v, "p", "  its member");
    unit_is_int(ngx_http_ims_member_json_child(pool, doc, "missing",
                                               &child),
                NGX_DECLINED, "an absent member is no object");
    unit_is_int(ngx_http_ims_member_json_child(pool, doc, "z", &child),
                NGX_DECLINED, "nor is null");
    unit_is_int(ngx_http_ims_member_json_child(pool, doc, "s", &child),
                NGX_ABORT, "a string is something else");
    unit_is_int(ngx_http_ims_member_json_child(pool, doc, "a", &child),
                NGX_ABORT, "and so is an array");

    unit_is_int(ngx_http_ims_member_json_array(doc, "a", &n), NGX_OK,
                "an array member");
    unit_is_int(n, 3, "  its length");
    unit_is_int(ngx_http_ims_member_json_array(doc, "e", &n), NGX_OK,
                "an empty array");
    unit_is_int(n, 0, "  its length");
    unit_is_int(ngx_http_ims_member_json_array(doc, "z", &n), NGX_DECLINED,
                "null is no array");
    unit_is_int(ngx_http_ims_member_json_array(doc, "o", &n), NGX_ABORT,
                "an object is something else");

    unit_is_int(ngx_http_ims_member_json_element_string(doc, "a", 0, "name",
                                                        &v),
                NGX_OK, "the string member of an element");
    unit_is_str(&v, "r", "  its value");
    unit_is_int(ngx_http_ims_member_json_element_string(doc, "a", 1, "name",
                                                        &v),
                NGX_DECLINED, "a member that is no string");
    unit_is_int(ngx_http_ims_member_json_element_string(doc, "a", 2, "name",
                                                        &v),
                NGX_DECLINED, "an element that is no object");
    unit_is_int(ngx_http_ims_member_json_element_string(doc, "a", 3, "name",
                                                        &v),
                NGX_DECLINED, "past the end");
    unit_is_int(ngx_http_ims_member_json_element_string(doc, "s", 0, "name",
                                                        &v),
                NGX_DECLINED, "a member that is no array");

    ngx_stub_pool_destroy(pool);

    unit_json_released("the child documents");
}


static void
test_json_object(void)
{
    ngx_str_t    kv[12], out;
    ngx_pool_t  *pool;

    unit_section("json: ngx_http_ims_member_json_object");

    pool = ngx_stub_pool_create();

    ngx_str_set(&kv[0], "status");
    ngx_str_set(&kv[1], "accepted");
    ngx_str_set(&kv[2], "x");
    ngx_str_null(&kv[3]);

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out), NGX_OK,
                "a string and a null");
    unit_is_str(&out, "{\"status\": \"accepted\", \"x\": null}",
                "in Python's json.dumps() layout");
    unit_json_released("the object");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 0, &out), NGX_OK,
                "no pairs");
    unit_is_str(&out, "{}", "an empty object");

    ngx_str_set(&kv[0], "z");
    ngx_str_set(&kv[1], "1");
    ngx_str_set(&kv[2], "a");
    ngx_str_set(&kv[3], "2");
    ngx_str_set(&kv[4], "m");
    ngx_str_set(&kv[5], "");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 3, &out), NGX_OK,
                "three pairs");
    unit_is_str(&out, "{\"z\": \"1\", \"a\": \"2\", \"m\": \"\"}",
                "in the given order; an empty string is not null");

    /* the member as the update answers it */

    ngx_str_set(&kv[0], "status");
    ngx_str_set(&kv[1], "accepted");
    ngx_str_set(&kv[2], "created_at");
    ngx_str_set(&kv[3], "2024-01-02T03:04:05Z");
    ngx_str_set(&kv[4], "updated_at");
    ngx_str_null(&kv[5]);
    ngx_str_set(&kv[6], "image_id");
    ngx_str_set(&kv[7], "3b8f0b5e-bd4c-4b5b-9b0e-0b1e7d8a0f11");
    ngx_str_set(&kv[8], "member_id");
    ngx_str_set(&kv[9], "p-member");
    ngx_str_set(&kv[10], "schema");
    ngx_str_set(&kv[11], "/v2/schemas/member");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 6, &out), NGX_OK,
                "a member");
    unit_is_str(&out, "{\"status\": \"accepted\", "
                      "\"created_at\": \"2024-01-02T03:04:05Z\", "
                      "\"updated_at\": null, "
                      "\"image_id\": "
                      "\"3b8f0b5e-bd4c-4b5b-9b0e-0b1e7d8a0f11\", "
                      "\"member_id\": \"p-member\", "
                      "\"schema\": \"/v2/schemas/member\"}",
                "with '/' unescaped");

    /* escaping */

    ngx_str_set(&kv[0], "say \"hi\"");
    ngx_str_set(&kv[1], "a \"quoted\" \\ back\\slash");
    ngx_str_set(&kv[2], "ctl");
    ngx_str_set(&kv[3], "\b\f\n\r\t\x01\x1f");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out), NGX_OK,
                "quotes, backslashes and controls");
    unit_is_str(&out, "{\"say \\\"hi\\\"\": "
                      "\"a \\\"quoted\\\" \\\\ back\\\\slash\", "
                      "\"ctl\": \"\\b\\f\\n\\r\\t\\u0001\\u001F\"}",
                "escaped");

    /*
     * ensure-ascii: jansson writes uppercase hex digits, where Python
     * writes "\u00e9", and leaves DEL as it is, where Python writes
     * "\u007f"; JSON either way
     */

    ngx_str_set(&kv[0], "caf\xc3\xa9");
    ngx_str_set(&kv[1], "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80");
    ngx_str_set(&kv[2], "del");
    ngx_str_set(&kv[3], "\x7f");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out), NGX_OK,
                "non-ASCII names and values");
    unit_is_str(&out, "{\"caf\\u00E9\": "
                      "\"\\u00E9 \\u20AC \\uD83D\\uDE00 \\u0080\", "
                      "\"del\": \"\x7f\"}",
                "as ASCII, with a surrogate pair above U+FFFF");

    /* the lengths bound the strings, not a NUL */

    kv[0].data = (u_char *) "keys";
    kv[0].len = 3;
    kv[1].data = (u_char *) "accepted";
    kv[1].len = 3;
    ngx_str_set(&kv[2], "nul");
    ngx_str_set(&kv[3], "a\0b");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out), NGX_OK,
                "lengths, and a NUL");
    unit_is_str(&out, "{\"key\": \"acc\", \"nul\": \"a\\u0000b\"}",
                "the first bytes; NUL escaped");

    ngx_str_set(&kv[0], "a");
    ngx_str_set(&kv[1], "1");
    ngx_str_set(&kv[2], "a");
    ngx_str_set(&kv[3], "2");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out), NGX_OK,
                "a name given twice");
    unit_is_str(&out, "{\"a\": \"2\"}", "the last value counts");

    unit_json_released("the objects");

    /* what JSON cannot hold */

    ngx_str_set(&kv[0], "a");
    ngx_str_set(&kv[1], "\xff");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 1, &out),
                NGX_ERROR, "a value not UTF-8");

    ngx_str_set(&kv[1], "\xed\xa0\x80");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 1, &out),
                NGX_ERROR, "a value with a UTF-16 surrogate");

    ngx_str_set(&kv[0], "\xc3");
    ngx_str_set(&kv[1], "v");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 1, &out),
                NGX_ERROR, "a name not UTF-8");

    ngx_str_set(&kv[0], "member_id");
    ngx_str_set(&kv[1], "p-\xc3\xa9t\xc3\xa9 \"q\" \\ \xf0\x9f\x98\x80");

    unit_is_int(ngx_http_ims_member_json_object_utf8(pool, kv, 1, &out),
                NGX_OK, "UTF-8 as it is (Glance's members)");
    unit_is_str(&out, "{\"member_id\": \"p-\xc3\xa9t\xc3\xa9 \\\"q\\\" \\\\ "
                "\xf0\x9f\x98\x80\"}", "only quotes and backslashes escaped");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 1, &out), NGX_OK,
                "the same, ASCII only");
    unit_is_str(&out, "{\"member_id\": \"p-\\u00E9t\\u00E9 \\\"q\\\" \\\\ "
                "\\uD83D\\uDE00\"}", "escaped as \\uXXXX");
    unit_json_released("the UTF-8 objects");

    ngx_str_set(&kv[0], "status");
    ngx_str_set(&kv[1], "accepted");
    ngx_str_set(&kv[2], "x");
    ngx_str_set(&kv[3], "\xc3");

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 2, &out),
                NGX_ERROR, "the second value not UTF-8");

    ngx_stub_alloc_left = 0;

    unit_is_int(ngx_http_ims_member_json_object(pool, kv, 1, &out),
                NGX_ERROR, "out of memory");

    ngx_stub_alloc_left = -1;

    unit_json_released("the failed objects");

    ngx_stub_pool_destroy(pool);
}


static void
test_json_error(void)
{
    ngx_str_t    code, message, out;
    ngx_pool_t  *pool;

    unit_section("json: ngx_http_ims_member_json_error");

    pool = ngx_stub_pool_create();

    ngx_str_set(&code, "IMG.0001");
    ngx_str_set(&message, "The \"status\" is invalid: caf\xc3\xa9");

    unit_is_int(ngx_http_ims_member_json_error(pool, &code, &message, &out),
                NGX_OK, "an error");
    unit_is_str(&out, "{\"error\": {\"code\": \"IMG.0001\", "
                      "\"message\": \"The \\\"status\\\" is invalid: "
                      "caf\\u00E9\"}}",
                "its body");

    ngx_str_set(&message, "\xff");

    unit_is_int(ngx_http_ims_member_json_error(pool, &code, &message, &out),
                NGX_ERROR, "an error with a message not UTF-8");

    unit_json_released("the errors");

    ngx_stub_pool_destroy(pool);
}


static void
test_json_job(void)
{
    ngx_str_t    in, out;
    ngx_pool_t  *pool;

    unit_section("json: ngx_http_ims_member_json_quote, json_number");

    pool = ngx_stub_pool_create();

    ngx_str_set(&in, "Field \"status\" is required.");
    unit_is_int(ngx_http_ims_member_json_quote(pool, &in, &out), NGX_OK,
                "a message");
    unit_is_str(&out, "\"Field \\\"status\\\" is required.\"",
                "quoted and escaped");

    ngx_str_set(&in, "caf\xc3\xa9\x01");
    unit_is_int(ngx_http_ims_member_json_quote(pool, &in, &out), NGX_OK,
                "past ASCII and a control");
    unit_is_str(&out, "\"caf\\u00E9\\u0001\"",
                "as \\uXXXX, as sql/ims.sql's ims_json() writes them");

    ngx_str_null(&in);
    unit_is_int(ngx_http_ims_member_json_quote(pool, &in, &out), NGX_OK,
                "no string");
    unit_is_str(&out, "null", "null");

    unit_is_int(ngx_http_ims_member_json_number(pool, 0.25, &out), NGX_OK,
                "a share");
    unit_is_str(&out, "0.25", "0.25");

    unit_is_int(ngx_http_ims_member_json_number(pool, 1.0, &out), NGX_OK,
                "all done");
    unit_is_str(&out, "1.0", "1 as 1.0");

    /*
     * done / total to 6 digits, as Python would write 0.1, not jansson's
     * default 17 significant digits, "0.10000000000000001"
     */

    unit_is_int(ngx_http_ims_member_json_number(pool, 1.0 / 10, &out),
                NGX_OK, "a tenth");
    unit_is_str(&out, "0.1", "0.1");

    unit_is_int(ngx_http_ims_member_json_number(pool, 1.0 / 3, &out),
                NGX_OK, "a third");
    unit_is_str(&out, "0.333333", "to 6 digits");

    unit_json_released("the values");

    ngx_stub_pool_destroy(pool);
}


static void
unit_json_released(const char *name)
{
    unit_is_int(unit_json_blocks, 0, "jansson's memory of %s is released",
                name);

    unit_json_blocks = 0;
}


static void
test_json_kind(void)
{
    unit_kind_t  *t;

    unit_section("json: ngx_http_ims_member_json_kind");

    for (t = unit_kinds; t->text.data; t++) {
        unit_is_int(ngx_http_ims_member_json_kind(t->text.data, t->text.len),
                    t->kind, "\"%s\"", unit_esc(t->text.data, t->text.len));
    }
}
