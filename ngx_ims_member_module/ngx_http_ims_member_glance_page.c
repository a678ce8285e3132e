
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_glance_page.h"


/*
 * Glance's error pages, as glance-api 25.1 writes them through webob 1.8:
 * the format an Accept header asks for (RFC 7231 media ranges, q-values and
 * specificity over the offers text/html and application/json; an invalid
 * header accepts both, an empty one neither, which means text/plain), and
 * the page in that format.  Glance reads the URL's bytes as Latin-1, so
 * every byte of an id is one character to escape.
 */

typedef struct {
    ngx_str_t                   type;
    ngx_str_t                   subtype;
    ngx_uint_t                  params;
    ngx_uint_t                  q;              /* thousandths */
} ngx_http_ims_member_glance_range_t;

typedef struct {
    ngx_uint_t                  q;
    ngx_uint_t                  specificity;
} ngx_http_ims_member_glance_offer_t;


static u_char *ngx_http_ims_member_glance_range(u_char *p, u_char *last,
    ngx_http_ims_member_glance_range_t *range);
static u_char *ngx_http_ims_member_glance_qvalue(u_char *p, u_char *last,
    ngx_uint_t *q);
static u_char *ngx_http_ims_member_glance_value(u_char *p, u_char *last);
static u_char *ngx_http_ims_member_glance_token(u_char *p, u_char *last);
static u_char *ngx_http_ims_member_glance_ows(u_char *p, u_char *last);
static void ngx_http_ims_member_glance_offer(
    ngx_http_ims_member_glance_range_t *range,
    ngx_http_ims_member_glance_offer_t *offers);
static size_t ngx_http_ims_member_glance_strip_tags(u_char *s, size_t n);
static u_char *ngx_http_ims_member_glance_html(u_char *dst, u_char *src,
    size_t n);
static u_char *ngx_http_ims_member_glance_json(u_char *dst, u_char *src,
    size_t n);


static ngx_str_t  ngx_http_ims_member_glance_types[] = {
    ngx_string("text/plain; charset=UTF-8"),
    ngx_string("text/html; charset=UTF-8"),
    ngx_string("application/json")
};

static ngx_str_t  ngx_http_ims_member_glance_offers[][2] = {
    { ngx_string("text"), ngx_string("html") },
    { ngx_string("application"), ngx_string("json") }
};

static ngx_str_t  ngx_http_ims_member_glance_tail =
    ngx_string("<br /><br />\n\n\n");


ngx_uint_t
ngx_http_ims_member_glance_format(u_char *p, u_char *last)
{
    u_char                              *s;
    ngx_http_ims_member_glance_range_t   range;
    ngx_http_ims_member_glance_offer_t   offers[2];

    ngx_memzero(offers, sizeof(offers));

    /* 1#element with empty elements: ( "," / element ) *( OWS "," ... ) */

    if (p < last) {
        if (*p == ',') {
            p++;

        } else {
            p = ngx_http_ims_member_glance_range(p, last, &range);
            if (p == NULL) {
                return NGX_HTTP_IMS_MEMBER_GLANCE_HTML;
            }

            ngx_http_ims_member_glance_offer(&range, offers);
        }
    }

    while (p < last) {
        p = ngx_http_ims_member_glance_ows(p, last);

        if (p == last || *p != ',') {
            return NGX_HTTP_IMS_MEMBER_GLANCE_HTML;
        }

        s = ngx_http_ims_member_glance_ows(p + 1, last);

        if (s == last) {
            if (s != p + 1) {
                return NGX_HTTP_IMS_MEMBER_GLANCE_HTML;
            }

            break;
        }

        if (ngx_http_ims_member_glance_token(s, last) == s) {
            p++;
            continue;
        }

        p = ngx_http_ims_member_glance_range(s, last, &range);
        if (p == NULL) {
            return NGX_HTTP_IMS_MEMBER_GLANCE_HTML;
        }

        ngx_http_ims_member_glance_offer(&range, offers);
    }

    /* the best q; on a tie the first offer, text/html */

    if (offers[0].specificity && offers[0].q) {
        if (offers[1].specificity && offers[1].q > offers[0].q) {
            return NGX_HTTP_IMS_MEMBER_GLANCE_JSON;
        }

        return NGX_HTTP_IMS_MEMBER_GLANCE_HTML;
    }

    if (offers[1].specificity && offers[1].q) {
        return NGX_HTTP_IMS_MEMBER_GLANCE_JSON;
    }

    return NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN;
}


/*
 * media-range [ weight *accept-ext ]: returns where it ends, or NULL when
 * the header is not valid from here on
 */

static u_char *
ngx_http_ims_member_glance_range(u_char *p, u_char *last,
    ngx_http_ims_member_glance_range_t *range)
{
    u_char  *s, *e;

    e = ngx_http_ims_member_glance_token(p, last);

    if (e == p || e == last || *e != '/') {
        return NULL;
    }

    range->type.data = p;
    range->type.len = e - p;

    p = e + 1;
    e = ngx_http_ims_member_glance_token(p, last);

    if (e == p) {
        return NULL;
    }

    range->subtype.data = p;
    range->subtype.len = e - p;
    range->params = 0;
    range->q = 1000;

    p = e;

    for ( ;; ) {
        s = ngx_http_ims_member_glance_ows(p, last);

        if (s == last || *s != ';') {
            return p;
        }

        s = ngx_http_ims_member_glance_ows(s + 1, last);

        if (last - s >= 2 && (*s == 'q' || *s == 'Q') && s[1] == '=') {
            break;
        }

        /* a media type parameter: token "=" ( token / quoted-string ) */

        e = ngx_http_ims_member_glance_token(s, last);

        if (e == s || e == last || *e != '=') {
            return NULL;
        }

        p = ngx_http_ims_member_glance_value(e + 1, last);
        if (p == NULL) {
            return NULL;
        }

        range->params++;
    }

    p = ngx_http_ims_member_glance_qvalue(s + 2, last, &range->q);
    if (p == NULL) {
        return NULL;
    }

    /* accept-ext: OWS ";" OWS token [ "=" ( token / quoted-string ) ] */

    for ( ;; ) {
        s = ngx_http_ims_member_glance_ows(p, last);

        if (s == last || *s != ';') {
            return p;
        }

        s = ngx_http_ims_member_glance_ows(s + 1, last);
        e = ngx_http_ims_member_glance_token(s, last);

        if (e == s) {
            return NULL;
        }

        p = e;

        if (p < last && *p == '=') {
            p = ngx_http_ims_member_glance_value(p + 1, last);
            if (p == NULL) {
                return NULL;
            }
        }
    }
}


/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */

static u_char *
ngx_http_ims_member_glance_qvalue(u_char *p, u_char *last, ngx_uint_t *q)
{
    ngx_uint_t  i, one, scale;

    if (p == last || (*p != '0' && *p != '1')) {
        return NULL;
    }

    one = (*p++ == '1');
    *q = one ? 1000 : 0;

    if (p == last || *p != '.') {
        return p;
    }

    p++;
    scale = 100;

    for (i = 0; i < 3 && p < last; i++) {
        if (one ? (*p != '0') : (*p < '0' || *p > '9')) {
            break;
        }

        *q += (*p++ - '0') * scale;
        scale /= 10;
    }

    return p;
}


/* token / quoted-string */

static u_char *
ngx_http_ims_member_glance_value(u_char *p, u_char *last)
{
    u_char  *e, c;

    e = ngx_http_ims_member_glance_token(p, last);

    if (e != p) {
        return e;
    }

    if (p == last || *p != '"') {
        return NULL;
    }

    for (p++; p < last; p++) {
        c = *p;

        if (c == '"') {
            return p + 1;
        }

        if (c == '\\') {

            /* quoted-pair: HTAB, SP, VCHAR or obs-text */

            if (++p == last || (*p != '\t' && *p < 0x20) || *p == 0x7f) {
                return NULL;
            }

            continue;
        }

        if ((c != '\t' && c < 0x20) || c == 0x7f) {
            return NULL;
        }
    }

    return NULL;
}


static u_char *
ngx_http_ims_member_glance_token(u_char *p, u_char *last)
{
    u_char  c;

    while (p < last) {
        c = *p;

        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z')
            || (c != 0 && ngx_strchr("!#$%&'*+-.^_`|~", c) != NULL))
        {
            p++;
            continue;
        }

        break;
    }

    return p;
}


static u_char *
ngx_http_ims_member_glance_ows(u_char *p, u_char *last)
{
    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


/*
 * What one media range says of the two offers: an exact match without
 * parameters is most specific, then "type/ *", then "* / *"; the first
 * range of the highest specificity gives an offer its q.
 */

static void
ngx_http_ims_member_glance_offer(ngx_http_ims_member_glance_range_t *range,
    ngx_http_ims_member_glance_offer_t *offers)
{
    ngx_str_t   *offer;
    ngx_uint_t   i, type, subtype, any_type, any_subtype, specificity;

    any_type = (range->type.len == 1 && range->type.data[0] == '*');
    any_subtype = (range->subtype.len == 1 && range->subtype.data[0] == '*');

    for (i = 0; i < 2; i++) {
        offer = ngx_http_ims_member_glance_offers[i];

        type = (range->type.len == offer[0].len
                && ngx_strncasecmp(range->type.data, offer[0].data,
                                   offer[0].len)
                   == 0);

        subtype = (range->subtype.len == offer[1].len
                   && ngx_strncasecmp(range->subtype.data, offer[1].data,
                                      offer[1].len)
                      == 0);

        if (type && subtype) {
            if (range->params) {
                continue;
            }

            specificity = 3;

        } else if (type && any_subtype) {
            specificity = 2;

        } else if (any_type && any_subtype) {
            specificity = 1;

        } else {
            continue;
        }

        if (specificity > offers[i].specificity) {
            offers[i].specificity = specificity;
            offers[i].q = range->q;
        }
    }
}


ngx_int_t
ngx_http_ims_member_glance_page(ngx_pool_t *pool,
    ngx_http_ims_member_glance_page_t *page, ngx_str_t *out)
{
    u_char     *p, *s, c;
    size_t      len, n, slen;
    ngx_str_t  *tail;
    u_char      status[sizeof("999 ") - 1 + 64];

    /* "404 Not Found" */

    if (page->status < 100 || page->status > 999 || page->title.len > 64) {
        return NGX_ERROR;
    }

    status[0] = (u_char) ('0' + page->status / 100);
    status[1] = (u_char) ('0' + page->status / 10 % 10);
    status[2] = (u_char) ('0' + page->status % 10);
    status[3] = ' ';
    ngx_memcpy(&status[4], page->title.data, page->title.len);
    slen = 4 + page->title.len;

    tail = page->tail.len ? &page->tail : &ngx_http_ims_member_glance_tail;
    n = page->explanation.len + tail->len;

    switch (page->format) {

    case NGX_HTTP_IMS_MEMBER_GLANCE_HTML:
        len = sizeof("<html>\n <head>\n  <title></title>\n </head>\n"
                     " <body>\n  <h1></h1>\n  \n </body>\n</html>") - 1
              + 2 * slen + 6 * page->explanation.len + tail->len;
        break;

    case NGX_HTTP_IMS_MEMBER_GLANCE_JSON:
        len = sizeof("{\"message\": \"\", \"code\": \"\", \"title\": \"\"}")
              - 1 + 6 * n + slen + page->title.len;
        break;

    default: /* NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN */
        len = slen + 2 + 2 * n;
    }

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    switch (page->format) {

    case NGX_HTTP_IMS_MEMBER_GLANCE_HTML:
        p = ngx_cpymem(p, "<html>\n <head>\n  <title>",
                       sizeof("<html>\n <head>\n  <title>") - 1);
        p = ngx_cpymem(p, status, slen);
        p = ngx_cpymem(p, "</title>\n </head>\n <body>\n  <h1>",
                       sizeof("</title>\n </head>\n <body>\n  <h1>") - 1);
        p = ngx_cpymem(p, status, slen);
        p = ngx_cpymem(p, "</h1>\n  ", sizeof("</h1>\n  ") - 1);
        p = ngx_http_ims_member_glance_html(p, page->explanation.data,
                                            page->explanation.len);
        p = ngx_cpymem(p, tail->data, tail->len);
        p = ngx_cpymem(p, "\n </body>\n</html>",
                       sizeof("\n </body>\n</html>") - 1);
        break;

    case NGX_HTTP_IMS_MEMBER_GLANCE_JSON:
        p = ngx_cpymem(p, "{\"message\": \"", sizeof("{\"message\": \"") - 1);
        p = ngx_http_ims_member_glance_json(p, page->explanation.data,
                                            page->explanation.len);
        p = ngx_http_ims_member_glance_json(p, tail->data, tail->len);
        p = ngx_cpymem(p, "\", \"code\": \"", sizeof("\", \"code\": \"") - 1);
        p = ngx_cpymem(p, status, slen);
        p = ngx_cpymem(p, "\", \"title\": \"", sizeof("\", \"title\": \"") - 1);
        p = ngx_cpymem(p, page->title.data, page->title.len);
        *p++ = '"';
        *p++ = '}';
        break;

    default: /* NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN */
        p = ngx_cpymem(p, status, slen);
        *p++ = '\n';
        *p++ = '\n';

        /* the text without tags, then each Latin-1 character in UTF-8 */

        s = p + n;
        ngx_memcpy(s, page->explanation.data, page->explanation.len);
        ngx_memcpy(s + page->explanation.len, tail->data, tail->len);

        n = ngx_http_ims_member_glance_strip_tags(s, n);

        while (n--) {
            c = *s++;

            if (c < 0x80) {
                *p++ = c;

            } else {
                *p++ = (u_char) (0xc0 | (c >> 6));
                *p++ = (u_char) (0x80 | (c & 0x3f));
            }
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_str_t *
ngx_http_ims_member_glance_type(ngx_uint_t format)
{
    return &ngx_http_ims_member_glance_types[format];
}


/*
 * webob's strip_tags(), in place: newlines become spaces, carriage returns
 * go, each "<br...>" becomes a newline, "<!--" and "-->" go, then every
 * "<...>" goes; each pass over what the one before left
 */

static size_t
ngx_http_ims_member_glance_strip_tags(u_char *s, size_t n)
{
    u_char  *p, *q, *last, *gt;

    last = s + n;

    for (p = s, q = s; p < last; p++) {
        if (*p != '\r') {
            *q++ = (*p == '\n') ? ' ' : *p;
        }
    }

    last = q;

    for (p = s, q = s; p < last; /* void */) {
        if (*p == '<' && last - p >= 3
            && (p[1] | 0x20) == 'b' && (p[2] | 0x20) == 'r')
        {
            gt = ngx_strlchr(p + 3, last, '>');

            if (gt) {
                *q++ = '\n';
                p = gt + 1;
                continue;
            }
        }

        *q++ = *p++;
    }

    last = q;

    for (p = s, q = s; p < last; /* void */) {
        if (last - p >= 4 && ngx_strncmp(p, "<!--", 4) == 0) {
            p += 4;
            continue;
        }

        if (last - p >= 3 && ngx_strncmp(p, "-->", 3) == 0) {
            p += 3;
            continue;
        }

        *q++ = *p++;
    }

    last = q;

    for (p = s, q = s; p < last; /* void */) {
        if (*p == '<') {
            gt = ngx_strlchr(p + 1, last, '>');

            if (gt) {
                p = gt + 1;
                continue;
            }
        }

        *q++ = *p++;
    }

    return q - s;
}


/* html.escape(s, quote=True), then non-ASCII (128 to 255) as "&#N;" */

static u_char *
ngx_http_ims_member_glance_html(u_char *dst, u_char *src, size_t n)
{
    u_char  c;

    while (n--) {
        c = *src++;

        switch (c) {

        case '&':
            dst = ngx_cpymem(dst, "&amp;", 5);
            break;

        case '<':
            dst = ngx_cpymem(dst, "&lt;", 4);
            break;

        case '>':
            dst = ngx_cpymem(dst, "&gt;", 4);
            break;

        case '"':
            dst = ngx_cpymem(dst, "&quot;", 6);
            break;

        case '\'':
            dst = ngx_cpymem(dst, "&#x27;", 6);
            break;

        default:
            if (c < 0x80) {
                *dst++ = c;

            } else {
                *dst++ = '&';
                *dst++ = '#';
                *dst++ = (u_char) ('0' + c / 100);
                *dst++ = (u_char) ('0' + c / 10 % 10);
                *dst++ = (u_char) ('0' + c % 10);
                *dst++ = ';';
            }
        }
    }

    return dst;
}


/* a JSON string's inside as Python's json.dumps() writes it: printable ASCII */

static u_char *
ngx_http_ims_member_glance_json(u_char *dst, u_char *src, size_t n)
{
    u_char  c;

    static u_char  hex[] = "0123456789abcdef";

    while (n--) {
        c = *src++;

        switch (c) {

        case '"':
        case '\\':
            *dst++ = '\\';
            *dst++ = c;
            break;

        case '\n':
            *dst++ = '\\';
            *dst++ = 'n';
            break;

        case '\r':
            *dst++ = '\\';
            *dst++ = 'r';
            break;

        case '\t':
            *dst++ = '\\';
            *dst++ = 't';
            break;

        case '\b':
            *dst++ = '\\';
            *dst++ = 'b';
            break;

        case '\f':
            *dst++ = '\\';
            *dst++ = 'f';
            break;

        default:
            if (c >= 0x20 && c < 0x7f) {
                *dst++ = c;
                break;
            }

            dst = ngx_cpymem(dst, "\\u00", 4);
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }

    return dst;
}
