
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_glance_page.h"


/*
 * The expected values are what webob 1.8 (Debian's python3-webob, under
 * glance-api 25.1) answers for the same Accept header and explanation;
 * the explanations' bytes are its Latin-1 characters.
 */

typedef struct {
    ngx_str_t    accept;
    ngx_uint_t   format;
} unit_accept_t;


typedef struct {
    ngx_uint_t   format;
    ngx_uint_t   status;
    ngx_str_t    title;
    ngx_str_t    explanation;
    ngx_str_t    page;
} unit_page_t;


typedef struct {
    ngx_uint_t   format;
    ngx_str_t    page;
} unit_405_t;


static void test_glance_format(void);
static void test_glance_page(void);
static void test_glance_405(void);


static unit_accept_t  unit_accepts[] = {
    { ngx_string(""), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("*/*"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/xml"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("text/plain"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("text/*"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/*"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("*/json"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("TEXT/HTML"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("Application/Json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json, text/html"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html, application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html;q=0.5, application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.9, text/html;q=0.9"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;q=0.901, text/html;q=0.9"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0, */*"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html;q=0, application/json;q=0"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("text/html;level=1"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("text/html;level=1, application/json;q=0.1"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=1.000"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=1.0001"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;q=1.5"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;q=0."), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("application/json;q=1."), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=.5"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;Q=0.5, text/html;q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.5;ext=1, text/html;q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.5;ext, text/html;q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.5;ext=\"a,b\", text/html;q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.5;ext=, text/html;q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json ; q=0.5 , text/html ; q=0.4"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;charset=\"utf-8\""), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("application/json; charset=\"utf-8\"; q=0.8, text/html;q=0.7"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;charset=\"a\\\"b\""), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("application/json;charset=\"unterminated"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("garbage"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("/html"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html/x"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string(","), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string(",,"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string(", application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string(",application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json,"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json, "), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json,,text/html"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json , ,text/html"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string(" application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json "), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;=x"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;a"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;a="), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;a=b c"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json\t;\tq=0.5, text/html;q=0.1"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("*/*;q=0.1, application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("*/*, application/json;q=0.5"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/*;q=0.2, application/json;q=0.1"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/*;q=0.2, text/html;q=0.1, application/json;q=0.15"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("text/html;q=0.1, text/*;q=0.9, application/json;q=0.5"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("text/html;q=0.3, text/html;q=0.9, application/json;q=0.5"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("text/html;a=b;q=0.9, */*;q=0.1, application/json;q=0.05"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/plain, application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("text/plain,application/json"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.5 , text/html;q=0.5"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("image/png"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("*/*;q=0"), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("application/json;q=0.001"), NGX_HTTP_IMS_MEMBER_GLANCE_JSON },
    { ngx_string("application/json;q=0.0001"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;q=00"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;q=1e0"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("text/html;q=0.5;q=0.9"), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;x=\"\xe9\""), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
    { ngx_string("application/json;x=\"\x01\""), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;x=\"\\\x01\""), NGX_HTTP_IMS_MEMBER_GLANCE_HTML },
    { ngx_string("application/json;x=\"\\\xe9\""), NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN },
};


static unit_page_t  unit_pages[] = {
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, 404, ngx_string("Not Found"),
      ngx_string("Image <b>\xc3""\xa9""\xf0""\x9f""\x98""\x80""\"'& not found."),
      ngx_string("404 Not Found\n\nImage \xc3""\x83""\xc2""\xa9""\xc3""\xb0""\xc2""\x9f""\xc2""\x98""\xc2""\x80""\"'& not found.\n\n   ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, 404, ngx_string("Not Found"),
      ngx_string("Image <b>\xc3""\xa9""\xf0""\x9f""\x98""\x80""\"'& not found."),
      ngx_string("<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  Image &lt;b&gt;&#195;&#169;&#240;&#159;&#152;&#128;&quot;&#x27;&amp; not found.<br /><br />\n\n\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, 404, ngx_string("Not Found"),
      ngx_string("Image <b>\xc3""\xa9""\xf0""\x9f""\x98""\x80""\"'& not found."),
      ngx_string("{\"message\": \"Image <b>\\u00c3\\u00a9\\u00f0\\u009f\\u0098\\u0080\\\"'& not found.<br /><br />\\n\\n\\n\", \"code\": \"404 Not Found\", \"title\": \"Not Found\"}") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, 404, ngx_string("Not Found"),
      ngx_string("Image x<b>y<br >z<!--c-->w\nv\ru<BR/>t<br not found."),
      ngx_string("404 Not Found\n\nImage xy\nzcw vu\nt\n\n   ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, 404, ngx_string("Not Found"),
      ngx_string("Image x<b>y<br >z<!--c-->w\nv\ru<BR/>t<br not found."),
      ngx_string("<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  Image x&lt;b&gt;y&lt;br &gt;z&lt;!--c--&gt;w\nv\ru&lt;BR/&gt;t&lt;br not found.<br /><br />\n\n\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, 404, ngx_string("Not Found"),
      ngx_string("Image x<b>y<br >z<!--c-->w\nv\ru<BR/>t<br not found."),
      ngx_string("{\"message\": \"Image x<b>y<br >z<!--c-->w\\nv\\ru<BR/>t<br not found.<br /><br />\\n\\n\\n\", \"code\": \"404 Not Found\", \"title\": \"Not Found\"}") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, 400, ngx_string("Bad Request"),
      ngx_string("a\x01""b\x7f""c\td\\e\x08""\x0c"""),
      ngx_string("400 Bad Request\n\na\x01""b\x7f""c\td\\e\x08""\x0c""\n\n   ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, 400, ngx_string("Bad Request"),
      ngx_string("a\x01""b\x7f""c\td\\e\x08""\x0c"""),
      ngx_string("<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  a\x01""b\x7f""c\td\\e\x08""\x0c""<br /><br />\n\n\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, 400, ngx_string("Bad Request"),
      ngx_string("a\x01""b\x7f""c\td\\e\x08""\x0c"""),
      ngx_string("{\"message\": \"a\\u0001b\\u007fc\\td\\\\e\\b\\f<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, 403, ngx_string("Forbidden"),
      ngx_string("x<y"),
      ngx_string("403 Forbidden\n\nx<y\n\n   ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, 403, ngx_string("Forbidden"),
      ngx_string("x<y"),
      ngx_string("<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  x&lt;y<br /><br />\n\n\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, 403, ngx_string("Forbidden"),
      ngx_string("x<y"),
      ngx_string("{\"message\": \"x<y<br /><br />\\n\\n\\n\", \"code\": \"403 Forbidden\", \"title\": \"Forbidden\"}") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, 400, ngx_string("Bad Request"),
      ngx_string(""),
      ngx_string("400 Bad Request\n\n\n\n   ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, 400, ngx_string("Bad Request"),
      ngx_string(""),
      ngx_string("<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  <br /><br />\n\n\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, 400, ngx_string("Bad Request"),
      ngx_string(""),
      ngx_string("{\"message\": \"<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}") },
};


/* "The method POST is not allowed for this resource. " + "<br /><br />\n" */

static unit_405_t  unit_405s[] = {
    { NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN, ngx_string("405 Method Not Allowed\n\nThe method POST is not allowed for this resource. \n\n ") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_HTML, ngx_string("<html>\n <head>\n  <title>405 Method Not Allowed</title>\n </head>\n <body>\n  <h1>405 Method Not Allowed</h1>\n  The method POST is not allowed for this resource. <br /><br />\n\n </body>\n</html>") },
    { NGX_HTTP_IMS_MEMBER_GLANCE_JSON, ngx_string("{\"message\": \"The method POST is not allowed for this resource. <br /><br />\\n\", \"code\": \"405 Method Not Allowed\", \"title\": \"Method Not Allowed\"}") },
};


void
test_glance(void)
{
    test_glance_format();
    test_glance_page();
    test_glance_405();
}


static void
test_glance_format(void)
{
    ngx_uint_t      i;
    unit_accept_t  *t;

    unit_section("glance: ngx_http_ims_member_glance_format");

    for (i = 0; i < sizeof(unit_accepts) / sizeof(unit_accept_t); i++) {
        t = &unit_accepts[i];

        unit_is_int(ngx_http_ims_member_glance_format(t->accept.data,
                                      t->accept.data + t->accept.len),
                    t->format, "Accept: \"%s\"",
                    unit_esc(t->accept.data, t->accept.len));
    }
}


static void
test_glance_page(void)
{
    ngx_str_t                           out;
    ngx_uint_t                          i;
    ngx_pool_t                         *pool;
    unit_page_t                        *t;
    ngx_http_ims_member_glance_page_t   page;

    unit_section("glance: ngx_http_ims_member_glance_page");

    pool = ngx_stub_pool_create();

    for (i = 0; i < sizeof(unit_pages) / sizeof(unit_page_t); i++) {
        t = &unit_pages[i];

        page.format = t->format;
        page.status = t->status;
        page.title = t->title;
        page.explanation = t->explanation;
        ngx_str_null(&page.tail);

        if (!unit_ok(ngx_http_ims_member_glance_page(pool, &page, &out)
                     == NGX_OK, "page %lu built", (unsigned long) i))
        {
            continue;
        }

        unit_is_mem(out.data, out.len, t->page.data, t->page.len,
                    "page %lu (format %lu) of \"%s\"", (unsigned long) i,
                    (unsigned long) t->format,
                    unit_esc(t->explanation.data, t->explanation.len));
    }

    page.format = NGX_HTTP_IMS_MEMBER_GLANCE_JSON;
    page.status = 404;
    ngx_str_set(&page.title, "Not Found");
    ngx_str_set(&page.explanation, "x");

    ngx_stub_alloc_left = 0;
    unit_is_int(ngx_http_ims_member_glance_page(pool, &page, &out),
                NGX_ERROR, "no memory: an error");
    ngx_stub_alloc_left = -1;

    page.status = 1000;
    unit_is_int(ngx_http_ims_member_glance_page(pool, &page, &out),
                NGX_ERROR, "a status of four digits is refused");

    ngx_stub_pool_destroy(pool);
}


static void
test_glance_405(void)
{
    ngx_str_t                           out;
    ngx_uint_t                          i;
    ngx_pool_t                         *pool;
    unit_405_t                         *t;
    ngx_http_ims_member_glance_page_t   page;

    unit_section("glance: webob's 405 page");

    pool = ngx_stub_pool_create();

    for (i = 0; i < sizeof(unit_405s) / sizeof(unit_405_t); i++) {
        t = &unit_405s[i];

        page.format = t->format;
        page.status = 405;
        ngx_str_set(&page.title, "Method Not Allowed");
        ngx_str_set(&page.explanation,
                    "The method POST is not allowed for this resource. ");
        ngx_str_set(&page.tail, "<br /><br />\n");

        if (!unit_ok(ngx_http_ims_member_glance_page(pool, &page, &out)
                     == NGX_OK, "405 page %lu built", (unsigned long) i))
        {
            continue;
        }

        unit_is_mem(out.data, out.len, t->page.data, t->page.len,
                    "405 page in format %lu", (unsigned long) t->format);
    }

    ngx_stub_pool_destroy(pool);
}
