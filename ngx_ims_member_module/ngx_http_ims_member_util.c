
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <sys/random.h>

#include "ngx_http_ims_member_util.h"


/*
 * Splits "/a/b/c" into exactly n non-empty segments; NGX_DECLINED if the
 * path has another shape (fewer or more segments, an empty one, a trailing
 * slash).
 */

ngx_int_t
ngx_http_ims_member_split_path(ngx_str_t *path, ngx_str_t *parts,
    ngx_uint_t n)
{
    u_char      *p, *last, *start;
    ngx_uint_t   i;

    p = path->data;
    last = p + path->len;

    for (i = 0; i < n; i++) {

        if (p == last || *p != '/') {
            return NGX_DECLINED;
        }

        start = ++p;

        while (p < last && *p != '/') {
            p++;
        }

        if (p == start) {
            return NGX_DECLINED;
        }

        parts[i].data = start;
        parts[i].len = p - start;
    }

    return (p == last) ? NGX_OK : NGX_DECLINED;
}


/* Glance reads the URL as Latin-1: to it a non-ASCII id names nothing */

ngx_int_t
ngx_http_ims_member_valid_ascii(ngx_str_t *id)
{
    size_t  i;

    for (i = 0; i < id->len; i++) {
        if (id->data[i] >= 0x80) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * An id the database can hold: at most "max" bytes of well-formed UTF-8
 * (RFC 3629: no overlong forms, no surrogates) without control characters
 * (a NUL would cut a libpq text parameter short).  nginx's own decoder is
 * more lenient than PostgreSQL, which would refuse such bytes with an error.
 */

ngx_int_t
ngx_http_ims_member_valid_id(ngx_str_t *id, size_t max)
{
    u_char      c, lo, hi, *p, *last;
    ngx_uint_t  n;

    if (id->len == 0 || id->len > max) {
        return NGX_DECLINED;
    }

    p = id->data;
    last = p + id->len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                return NGX_DECLINED;
            }

            continue;
        }

        /* the number of continuation bytes, and the range of the first */

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

            if (c == 0xc2) {
                lo = 0xa0;      /* U+0080 to U+009F are C1 controls */
            }

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;

            if (c == 0xe0) {
                lo = 0xa0;

            } else if (c == 0xed) {
                hi = 0x9f;
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;

            if (c == 0xf0) {
                lo = 0x90;

            } else if (c == 0xf4) {
                hi = 0x8f;
            }

        } else {
            return NGX_DECLINED;
        }

        if ((size_t) (last - p) < n || *p < lo || *p > hi) {
            return NGX_DECLINED;
        }

        for (p++, n--; n; n--, p++) {
            if (*p < 0x80 || *p > 0xbf) {
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


/*
 * "word" is one of the comma-separated items of "list", blanks ignored and
 * in any case, as Glance lower-cases role names before comparing them
 */

ngx_int_t
ngx_http_ims_member_has_word(ngx_str_t *list, ngx_str_t *word)
{
    u_char  *p, *last, *start, *end;

    p = list->data;
    last = p + list->len;

    while (p < last) {
        start = p;

        while (p < last && *p != ',') {
            p++;
        }

        end = p;

        if (p < last) {
            p++;
        }

        while (start < end && (*start == ' ' || *start == '\t')) {
            start++;
        }

        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        if ((size_t) (end - start) == word->len
            && ngx_strncasecmp(start, word->data, word->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a version 4 UUID, as OpenStack request ids carry; not for secrets */

u_char *
ngx_http_ims_member_uuid(u_char *dst)
{
    u_char      b[16];
    ngx_uint_t  i;
    uint32_t    r;

    for (i = 0; i < 16; i += 2) {
        r = (uint32_t) ngx_random();
        b[i] = (u_char) r;
        b[i + 1] = (u_char) (r >> 8);
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    dst = ngx_hex_dump(dst, b, 4);
    *dst++ = '-';
    dst = ngx_hex_dump(dst, b + 4, 2);
    *dst++ = '-';
    dst = ngx_hex_dump(dst, b + 6, 2);
    *dst++ = '-';
    dst = ngx_hex_dump(dst, b + 8, 2);
    *dst++ = '-';

    return ngx_hex_dump(dst, b + 10, 6);
}


/*
 * A job id: 128 bits from the kernel's random source, in hex, so that one
 * project cannot guess another's jobs.
 */

ngx_int_t
ngx_http_ims_member_job_id(u_char *dst, ngx_log_t *log)
{
    u_char  b[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN / 2];

    if (ngx_http_ims_member_random(b, sizeof(b), log) != NGX_OK) {
        return NGX_ERROR;
    }

    (void) ngx_hex_dump(dst, b, sizeof(b));

    return NGX_OK;
}


/*
 * "len" bytes (at most 256) from the kernel's random source.  getrandom()
 * waits only before the kernel's pool is first initialised, long before
 * nginx runs.
 */

ngx_int_t
ngx_http_ims_member_random(u_char *dst, size_t len, ngx_log_t *log)
{
    if (getrandom(dst, len, GRND_NONBLOCK) != (ssize_t) len) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "ims_member: getrandom() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_ims_member_valid_job_id(ngx_str_t *id)
{
    u_char  *p, *last;

    if (id->len != NGX_HTTP_IMS_MEMBER_JOB_ID_LEN) {
        return NGX_DECLINED;
    }

    last = id->data + id->len;

    for (p = id->data; p < last; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * A caller's X-Openstack-Request-Id is echoed only if it is safe in a
 * header and in a log line: 1 to 128 printable ASCII bytes, no quote.
 */

ngx_int_t
ngx_http_ims_member_valid_request_id(ngx_str_t *id)
{
    u_char  *p, *last;

    if (id->len == 0 || id->len > NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX) {
        return NGX_DECLINED;
    }

    last = id->data + id->len;

    for (p = id->data; p < last; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '"') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * An ISO 8601 UTC time as Keystone writes "expires_at",
 * "2026-11-29T22:58:53.000000Z": the fraction is optional, the zone is "Z"
 * or an offset "+hh:mm"; NGX_ERROR for anything else.
 */

time_t
ngx_http_ims_member_parse_iso8601(u_char *p, size_t len)
{
    u_char      *last;
    time_t       days, t, offset;
    ngx_int_t    year, month, day, hour, min, sec, oh, om;

    last = p + len;

    if (len < sizeof("yyyy-mm-ddThh:mm:ss") - 1
        || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't')
        || p[13] != ':' || p[16] != ':')
    {
        return NGX_ERROR;
    }

    year = ngx_atoi(p, 4);
    month = ngx_atoi(p + 5, 2);
    day = ngx_atoi(p + 8, 2);
    hour = ngx_atoi(p + 11, 2);
    min = ngx_atoi(p + 14, 2);
    sec = ngx_atoi(p + 17, 2);

    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31
        || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0
        || sec > 60)
    {
        return NGX_ERROR;
    }

    p += sizeof("yyyy-mm-ddThh:mm:ss") - 1;

    if (p < last && *p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9'; p++) { /* void */ }
    }

    if (last - p == 1 && (*p == 'Z' || *p == 'z')) {
        offset = 0;

    } else if (last - p == 6 && (*p == '+' || *p == '-') && p[3] == ':') {
        oh = ngx_atoi(p + 1, 2);
        om = ngx_atoi(p + 4, 2);

        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return NGX_ERROR;
        }

        offset = (oh * 60 + om) * 60;

        if (*p == '-') {
            offset = -offset;
        }

    } else {
        return NGX_ERROR;
    }

    /* days since 1970-01-01 of the proleptic Gregorian calendar */

    if (month <= 2) {
        year--;
        month += 12;
    }

    days = 365 * year + year / 4 - year / 100 + year / 400
           + (153 * (month - 3) + 2) / 5 + day - 1 - 719468;

    t = days * 86400 + hour * 3600 + min * 60 + sec - offset;

    return t;
}
