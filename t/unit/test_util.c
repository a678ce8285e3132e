
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_util.h"


#define unit_s(text)  { sizeof(text) - 1, (u_char *) text }


typedef struct {
    ngx_str_t    path;
    ngx_uint_t   n;
    ngx_int_t    rc;
} unit_split_t;


typedef struct {
    ngx_str_t    id;
    size_t       max;
    ngx_int_t    rc;
} unit_id_t;


typedef struct {
    ngx_str_t    list;
    ngx_str_t    word;
    ngx_int_t    found;
} unit_word_t;


static void test_split_path(void);
static void test_valid_id(void);
static void test_has_word(void);
static void test_iso8601(void);
static void test_uuid(void);
static void test_job_id(void);
static void test_request_id(void);
static ngx_int_t unit_is_hex(u_char *p, size_t len);


static unit_split_t  unit_splits[] = {
    { unit_s("/a"), 1, NGX_OK },
    { unit_s("/a/b/c"), 3, NGX_OK },
    { unit_s("/a/b"), 3, NGX_DECLINED },
    { unit_s("/a/b/c/d"), 3, NGX_DECLINED },
    { unit_s("/a/b/c/"), 3, NGX_DECLINED },
    { unit_s("/a//c"), 3, NGX_DECLINED },
    { unit_s("//b/c"), 3, NGX_DECLINED },
    { unit_s("a/b/c"), 3, NGX_DECLINED },
    { unit_s("/"), 1, NGX_DECLINED },
    { unit_s(""), 1, NGX_DECLINED },
    { unit_s(""), 0, NGX_OK },
    { unit_s("/a"), 0, NGX_DECLINED },
    { unit_s("/v2/images//members/m"), 5, NGX_DECLINED },
    { unit_s("/v2/images/i/members/m/"), 5, NGX_DECLINED },
    { unit_s("/v2/images/i/members"), 5, NGX_DECLINED },
    { ngx_null_string, 0, 0 }
};


static unit_id_t  unit_ids[] = {
    { unit_s("3b8f0b5e-bd4c-4b5b-9b0e-0b1e7d8a0f11"), 36, NGX_OK },
    { unit_s("a"), 1, NGX_OK },
    { unit_s("ab"), 1, NGX_DECLINED },
    { unit_s(""), 255, NGX_DECLINED },
    { unit_s(" ~"), 255, NGX_OK },
    { unit_s("a\0b"), 255, NGX_DECLINED },
    { unit_s("a\tb"), 255, NGX_DECLINED },
    { unit_s("a\nb"), 255, NGX_DECLINED },
    { unit_s("\x1f"), 255, NGX_DECLINED },
    { unit_s("a\x7f"), 255, NGX_DECLINED },

    /* valid UTF-8; "max" counts bytes */
    { unit_s("\xc2\x80"), 255, NGX_DECLINED },    /* C1 control */
    { unit_s("caf\xc3\xa9"), 5, NGX_OK },                /* U+00E9 */
    { unit_s("caf\xc3\xa9"), 4, NGX_DECLINED },
    { unit_s("\xe2\x82\xac"), 255, NGX_OK },             /* U+20AC */
    { unit_s("\xef\xbf\xbf"), 255, NGX_OK },             /* U+FFFF */
    { unit_s("\xf0\x9f\x98\x80"), 255, NGX_OK },         /* U+1F600 */
    { unit_s("\xf4\x8f\xbf\xbf"), 255, NGX_OK },         /* U+10FFFF */

    /* not UTF-8 */
    { unit_s("\x80"), 255, NGX_DECLINED },               /* continuation */
    { unit_s("a\xbf"), 255, NGX_DECLINED },
    { unit_s("\xc0\xaf"), 255, NGX_DECLINED },           /* overlong '/' */
    { unit_s("\xc1\xbf"), 255, NGX_DECLINED },
    { unit_s("\xe0\x80\xaf"), 255, NGX_DECLINED },
    { unit_s("\xe0\x9f\xbf"), 255, NGX_DECLINED },
    { unit_s("\xf0\x80\x80\xaf"), 255, NGX_DECLINED },
    { unit_s("\xf0\x8f\xbf\xbf"), 255, NGX_DECLINED },
    { unit_s("\xf4\x90\x80\x80"), 255, NGX_DECLINED },   /* U+110000 */
    { unit_s("\xf7\xbf\xbf\xbf"), 255, NGX_DECLINED },
    { unit_s("\xc3"), 255, NGX_DECLINED },               /* truncated */
    { unit_s("a\xe2\x82"), 255, NGX_DECLINED },
    { unit_s("\xf0\x9f\x98"), 255, NGX_DECLINED },
    { unit_s("\xc3" "a"), 255, NGX_DECLINED },           /* ASCII after */
    { unit_s("\xe2\x82" "a"), 255, NGX_DECLINED },
    { unit_s("\xff"), 255, NGX_DECLINED },
    { unit_s("\xfe\xff"), 255, NGX_DECLINED },
    { ngx_null_string, 0, 0 }
};


/*
 * Not UTF-8, though nginx's lenient ngx_utf8_decode() takes them: PostgreSQL
 * would refuse such a text parameter (SQLSTATE 22021), so they must be
 * answered as ids that name no row.
 */

static unit_id_t  unit_bad_ids[] = {
    { unit_s("\xed\xa0\x80"), 255, NGX_DECLINED },       /* U+D800 */
    { unit_s("\xed\xbf\xbf"), 255, NGX_DECLINED },       /* U+DFFF */
    { unit_s("\xed\xa0\xbd\xed\xb8\x80"), 255, NGX_DECLINED },   /* CESU-8 */
    { unit_s("\xc3\xc3"), 255, NGX_DECLINED },       /* lead as continuation */
    { unit_s("\xe2\xff\xac"), 255, NGX_DECLINED },
    { unit_s("\xf8\x90\x80\x80"), 255, NGX_DECLINED },   /* 5-byte lead */
    { unit_s("\xfc\x80\x80\x80"), 255, NGX_DECLINED },
    { unit_s("\xc0\xaf"), 255, NGX_DECLINED },             /* overlong */
    { unit_s("\xe0\x80\xaf"), 255, NGX_DECLINED },
    { unit_s("\xf0\x80\x80\xaf"), 255, NGX_DECLINED },
    { unit_s("\xf4\x90\x80\x80"), 255, NGX_DECLINED },   /* > U+10FFFF */
    { unit_s("\xc2\x85"), 255, NGX_DECLINED },             /* C1 control */
    { unit_s("\xe2\x82"), 255, NGX_DECLINED },             /* cut short */
    { ngx_null_string, 0, 0 }
};


static unit_word_t  unit_words[] = {
    { unit_s("admin"), unit_s("admin"), 1 },
    { unit_s("member,admin"), unit_s("admin"), 1 },
    { unit_s("admin,member"), unit_s("admin"), 1 },
    { unit_s("reader, admin ,member"), unit_s("admin"), 1 },
    { unit_s(" \tadmin\t "), unit_s("admin"), 1 },
    { unit_s(",,admin,,"), unit_s("admin"), 1 },
    { unit_s("member,admin,"), unit_s("admin"), 1 },
    { unit_s(""), unit_s("admin"), 0 },
    { unit_s(","), unit_s("admin"), 0 },
    { unit_s("member"), unit_s("admin"), 0 },
    { unit_s("administrator"), unit_s("admin"), 0 },
    { unit_s("adm"), unit_s("admin"), 0 },
    { unit_s("sysadmin"), unit_s("admin"), 0 },
    { unit_s("ad min"), unit_s("admin"), 0 },
    { unit_s("admin2,xadmin"), unit_s("admin"), 0 },
    { unit_s("Admin"), unit_s("admin"), 1 },
    { unit_s("member,ADMIN"), unit_s("admin"), 1 },
    { unit_s("member,admin"), unit_s("Admin"), 1 },
    { unit_s("AdMiN2"), unit_s("admin"), 0 },
    { unit_s("member;admin"), unit_s("admin"), 0 },
    { ngx_null_string, ngx_null_string, 0 }
};


void
test_util(void)
{
    test_split_path();
    test_valid_id();
    test_has_word();
    test_iso8601();
    test_uuid();
    test_job_id();
    test_request_id();
}


static void
test_split_path(void)
{
    u_char         buf[16];
    ngx_str_t      path, parts[5];
    unit_split_t  *t;

    unit_section("util: ngx_http_ims_member_split_path");

    for (t = unit_splits; t->path.data; t++) {
        unit_is_int(ngx_http_ims_member_split_path(&t->path, parts, t->n),
                    t->rc, "split \"%s\" into %lu",
                    unit_esc(t->path.data, t->path.len),
                    (unsigned long) t->n);
    }

    ngx_str_set(&path, "/v2/images/img-1/members/mem-2");

    unit_is_int(ngx_http_ims_member_split_path(&path, parts, 5), NGX_OK,
                "split an update URI");
    unit_is_str(&parts[0], "v2", "segment 1");
    unit_is_str(&parts[1], "images", "segment 2");
    unit_is_str(&parts[2], "img-1", "segment 3");
    unit_is_str(&parts[3], "members", "segment 4");
    unit_is_str(&parts[4], "mem-2", "segment 5");

    /* the length bounds the path, not a NUL */

    ngx_memcpy(buf, "/a/b/c/d", sizeof("/a/b/c/d"));
    path.data = buf;
    path.len = 6;

    unit_is_int(ngx_http_ims_member_split_path(&path, parts, 3), NGX_OK,
                "split the first 6 bytes of \"/a/b/c/d\"");
    unit_is_str(&parts[2], "c", "last segment ends at the length");

    path.len = 5;

    unit_is_int(ngx_http_ims_member_split_path(&path, parts, 3),
                NGX_DECLINED, "split the first 5 bytes of \"/a/b/c/d\"");

    /* a decoded URI may hold any byte but '/' in a segment */

    ngx_str_set(&path, "/a\0b/\xc3\xa9%2F");

    unit_is_int(ngx_http_ims_member_split_path(&path, parts, 2), NGX_OK,
                "split segments with NUL and non-ASCII bytes");
    unit_is_str(&parts[0], "a\0b", "segment with NUL");
    unit_is_str(&parts[1], "\xc3\xa9%2F", "segment with non-ASCII bytes");
}


static void
test_valid_id(void)
{
    u_char      buf[256];
    ngx_str_t   id;
    unit_id_t  *t;

    unit_section("util: ngx_http_ims_member_valid_id");

    for (t = unit_ids; t->id.data; t++) {
        unit_is_int(ngx_http_ims_member_valid_id(&t->id, t->max), t->rc,
                    "valid_id of \"%s\", max %lu",
                    unit_esc(t->id.data, t->id.len), (unsigned long) t->max);
    }

    for (t = unit_bad_ids; t->id.data; t++) {
        unit_ok(ngx_http_ims_member_valid_id(&t->id, t->max) == t->rc,
                  "valid_id refuses \"%s\", not UTF-8",
                  unit_esc(t->id.data, t->id.len));
    }

    /* "max" is inclusive */

    ngx_memset(buf, 'x', sizeof(buf));
    id.data = buf;
    id.len = 255;

    unit_is_int(ngx_http_ims_member_valid_id(&id, 255), NGX_OK,
                "valid_id of 255 bytes, max 255");

    id.len = 256;

    unit_is_int(ngx_http_ims_member_valid_id(&id, 255), NGX_DECLINED,
                "valid_id of 256 bytes, max 255");

    /* a character cut by the length is incomplete */

    ngx_memcpy(buf, "ab\xc3\xa9", 4);
    id.len = 3;

    unit_is_int(ngx_http_ims_member_valid_id(&id, 255), NGX_DECLINED,
                "valid_id of a character cut by the length");

    id.len = 4;

    unit_is_int(ngx_http_ims_member_valid_id(&id, 255), NGX_OK,
                "valid_id of the whole character");

    /* every ASCII byte: only 0x00 - 0x1f and 0x7f are refused */

    id.data = buf;
    id.len = 1;

    for (buf[0] = 0; buf[0] < 0x80; buf[0]++) {
        if (ngx_http_ims_member_valid_id(&id, 1)
            != ((buf[0] < 0x20 || buf[0] == 0x7f) ? NGX_DECLINED : NGX_OK))
        {
            break;
        }
    }

    unit_is_int(buf[0], 0x80, "valid_id of each single ASCII byte");
}


static void
test_has_word(void)
{
    ngx_str_t     list, word;
    unit_word_t  *t;

    unit_section("util: ngx_http_ims_member_has_word");

    for (t = unit_words; t->list.data; t++) {
        unit_is_int(ngx_http_ims_member_has_word(&t->list, &t->word),
                    t->found, "\"%s\" in \"%s\"",
                    unit_esc(t->word.data, t->word.len),
                    unit_esc(t->list.data, t->list.len));
    }

    /* the lengths bound both, not a NUL */

    ngx_str_set(&word, "admin");
    list.data = (u_char *) "administrator";
    list.len = 5;

    unit_is_int(ngx_http_ims_member_has_word(&list, &word), 1,
                "\"admin\" in the first 5 bytes of \"administrator\"");

    list.data = (u_char *) "member,admin";
    list.len = 10;

    unit_is_int(ngx_http_ims_member_has_word(&list, &word), 0,
                "\"admin\" in the first 10 bytes of \"member,admin\"");

    ngx_str_set(&list, "member,admin");
    word.len = 3;

    unit_is_int(ngx_http_ims_member_has_word(&list, &word), 0,
                "the first 3 bytes of \"admin\" in \"member,admin\"");
}


typedef struct {
    ngx_str_t     text;
    time_t        time;
} unit_time_t;


static unit_time_t  unit_times[] = {
    { unit_s("1970-01-01T00:00:00Z"), 0 },
    { unit_s("1970-01-01T00:00:00.000000Z"), 0 },
    { unit_s("2026-11-29T22:58:53.000000Z"), 1795993133 },
    { unit_s("2026-11-29T22:58:53Z"), 1795993133 },
    { unit_s("2026-11-29t22:58:53.5z"), 1795993133 },
    { unit_s("2026-11-30T00:58:53+02:00"), 1795993133 },
    { unit_s("2026-11-29T20:28:53-02:30"), 1795993133 },
    { unit_s("2000-02-29T12:00:00Z"), 951825600 },
    { unit_s("2024-03-01T00:00:00Z"), 1709251200 },
    { unit_s("2100-03-01T00:00:00Z"), 4107542400LL },
    { unit_s("2026-11-29T22:58:53"), NGX_ERROR },
    { unit_s("2026-11-29 22:58:53Z"), NGX_ERROR },
    { unit_s("2026-13-29T22:58:53Z"), NGX_ERROR },
    { unit_s("2026-11-32T22:58:53Z"), NGX_ERROR },
    { unit_s("2026-11-29T24:00:00Z"), NGX_ERROR },
    { unit_s("2026-11-29T22:60:00Z"), NGX_ERROR },
    { unit_s("1969-12-31T23:59:59Z"), NGX_ERROR },
    { unit_s("2026-11-29T22:58:53ZZ"), NGX_ERROR },
    { unit_s("2026-11-29T22:58:53+0200"), NGX_ERROR },
    { unit_s("2026-1a-29T22:58:53Z"), NGX_ERROR },
    { unit_s("2026-11-29T22:58"), NGX_ERROR },
    { unit_s(""), NGX_ERROR },
    { ngx_null_string, 0 }
};


static void
test_iso8601(void)
{
    unit_time_t  *t;

    unit_section("util: ngx_http_ims_member_parse_iso8601");

    for (t = unit_times; t->text.data; t++) {
        unit_is_int(ngx_http_ims_member_parse_iso8601(t->text.data,
                                                      t->text.len),
                    t->time, "\"%s\"", unit_esc(t->text.data, t->text.len));
    }

    /* the length bounds it, not a NUL */

    unit_is_int(ngx_http_ims_member_parse_iso8601(
                    (u_char *) "2026-11-29T22:58:53Z junk", 20),
                1795993133, "a time followed by more bytes, its length given");
}


static void
test_uuid(void)
{
    u_char      buf[2][NGX_HTTP_IMS_MEMBER_UUID_LEN + 1], *end;
    ngx_uint_t  i, bad, same;

    unit_section("util: ngx_http_ims_member_uuid");

    ngx_memset(buf, '#', sizeof(buf));

    end = ngx_http_ims_member_uuid(buf[0]);

    unit_is_int(end - buf[0], NGX_HTTP_IMS_MEMBER_UUID_LEN,
                "uuid returns the end of 36 characters");
    unit_is_int(buf[0][NGX_HTTP_IMS_MEMBER_UUID_LEN], '#',
                "uuid writes nothing after them");

    bad = 0;
    same = 0;

    for (i = 0; i < 1000; i++) {

        (void) ngx_http_ims_member_uuid(buf[i % 2]);

        /* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lowercase */

        if (!unit_is_hex(buf[i % 2], 8)
            || buf[i % 2][8] != '-'
            || !unit_is_hex(buf[i % 2] + 9, 4)
            || buf[i % 2][13] != '-'
            || buf[i % 2][14] != '4'
            || !unit_is_hex(buf[i % 2] + 15, 3)
            || buf[i % 2][18] != '-'
            || ngx_strchr("89ab", buf[i % 2][19]) == NULL
            || !unit_is_hex(buf[i % 2] + 20, 3)
            || buf[i % 2][23] != '-'
            || !unit_is_hex(buf[i % 2] + 24, 12))
        {
            if (bad++ == 0) {
                printf("# bad uuid: %.36s\n", buf[i % 2]);
            }
        }

        if (i && ngx_memcmp(buf[0], buf[1], NGX_HTTP_IMS_MEMBER_UUID_LEN)
                 == 0)
        {
            same++;
        }
    }

    unit_is_int(bad, 0, "1000 uuids have the version 4 layout");
    unit_is_int(same, 0, "no two uuids in a row are the same");
}


static void
test_job_id(void)
{
    u_char     a[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN + 1];
    u_char     b[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN];
    ngx_str_t  id;
    ngx_log_t  log;

    unit_section("util: ngx_http_ims_member_job_id, valid_job_id");

    ngx_memzero(&log, sizeof(ngx_log_t));
    ngx_memset(a, '#', sizeof(a));

    unit_is_int(ngx_http_ims_member_job_id(a, &log), NGX_OK, "job_id");
    unit_is_int(ngx_http_ims_member_job_id(b, &log), NGX_OK,
                "another job_id");
    unit_ok(unit_is_hex(a, NGX_HTTP_IMS_MEMBER_JOB_ID_LEN),
            "job_id is 32 lowercase hex digits");
    unit_is_int(a[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN], '#',
                "job_id writes nothing after them");
    unit_ok(ngx_memcmp(a, b, NGX_HTTP_IMS_MEMBER_JOB_ID_LEN) != 0,
            "two job ids differ");

    id.data = a;
    id.len = NGX_HTTP_IMS_MEMBER_JOB_ID_LEN;

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_OK,
                "valid_job_id of a job_id");

    id.len--;

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_DECLINED,
                "valid_job_id of 31 digits");

    id.len += 2;

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_DECLINED,
                "valid_job_id of 33 bytes");

    ngx_str_set(&id, "0123456789abcdef0123456789ABCDEF");

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_DECLINED,
                "valid_job_id of uppercase digits");

    ngx_str_set(&id, "0123456789abcdef0123456789abcdeg");

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_DECLINED,
                "valid_job_id with a 'g'");

    ngx_str_set(&id, "0123456789abcdef0123456789abcdef");

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_OK,
                "valid_job_id of every digit");

    ngx_str_set(&id, "");

    unit_is_int(ngx_http_ims_member_valid_job_id(&id), NGX_DECLINED,
                "valid_job_id of nothing");

    unit_is_int(ngx_stub_log_errors, 0, "nothing logged");
}


static void
test_request_id(void)
{
    u_char     long_id[NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX + 1];
    ngx_str_t  id;

    unit_section("util: ngx_http_ims_member_valid_request_id");

    ngx_str_set(&id, "req-0a96a975-9342-48c2-9fac-8e461429ba0e");
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_OK,
                "a Glance request id");

    ngx_str_set(&id, "");
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_DECLINED,
                "nothing");

    ngx_str_set(&id, "a b");
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_DECLINED,
                "a space");

    ngx_str_set(&id, "a\"b");
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_DECLINED,
                "a quote");

    ngx_str_set(&id, "caf\xc3\xa9");
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_DECLINED,
                "a byte past ASCII");

    ngx_memset(long_id, 'x', sizeof(long_id));
    id.data = long_id;
    id.len = NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX;
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_OK,
                "128 bytes");

    id.len++;
    unit_is_int(ngx_http_ims_member_valid_request_id(&id), NGX_DECLINED,
                "129 bytes");
}


static ngx_int_t
unit_is_hex(u_char *p, size_t len)
{
    while (len--) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }

        p++;
    }

    return 1;
}
