
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * libFuzzer: an Accept header value, and the same bytes as the explanation
 * of Glance's error page in each format: the JSON page must parse and give
 * back every byte as its Latin-1 character, the HTML page must carry none
 * of the explanation's markup or non-ASCII bytes unescaped.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <jansson.h>

#include "ngx_http_ims_member_glance_page.h"
#include "unit.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                             *p, *last;
    size_t                              i, len;
    json_t                             *root, *msg;
    ngx_str_t                           out;
    ngx_uint_t                          format;
    ngx_pool_t                         *pool;
    json_error_t                        err;
    ngx_http_ims_member_glance_page_t   page;

    format = ngx_http_ims_member_glance_format((u_char *) data,
                                               (u_char *) data + size);

    if (format > NGX_HTTP_IMS_MEMBER_GLANCE_JSON) {
        __builtin_trap();
    }

    pool = ngx_stub_pool_create();

    page.status = 404;
    ngx_str_set(&page.title, "Not Found");
    page.explanation.data = (u_char *) data;
    page.explanation.len = size;
    ngx_str_null(&page.tail);

    for (format = 0; format <= NGX_HTTP_IMS_MEMBER_GLANCE_JSON; format++) {
        page.format = format;

        if (ngx_http_ims_member_glance_page(pool, &page, &out) != NGX_OK) {
            __builtin_trap();
        }

        if (format == NGX_HTTP_IMS_MEMBER_GLANCE_JSON) {
            root = json_loadb((char *) out.data, out.len, JSON_ALLOW_NUL,
                              &err);
            msg = json_object_get(root, "message");

            if (msg == NULL || !json_is_string(msg)) {
                __builtin_trap();
            }

            /* each byte came back as one character, in UTF-8 */

            p = (u_char *) json_string_value(msg);
            last = p + json_string_length(msg);

            for (i = 0; i < size; i++) {
                len = (data[i] < 0x80) ? 1 : 2;

                if (last - p < (ssize_t) len
                    || (len == 1 && *p != data[i])
                    || (len == 2 && (p[0] != (0xc0 | (data[i] >> 6))
                                     || p[1] != (0x80 | (data[i] & 0x3f)))))
                {
                    __builtin_trap();
                }

                p += len;
            }

            json_decref(root);
        }

        if (format == NGX_HTTP_IMS_MEMBER_GLANCE_HTML) {
            p = out.data + sizeof("<html>\n <head>\n  <title>404 Not Found"
                                  "</title>\n </head>\n <body>\n  <h1>404"
                                  " Not Found</h1>\n  ") - 1;
            last = out.data + out.len
                   - (sizeof("<br /><br />\n\n\n\n </body>\n</html>") - 1);

            for ( /* void */ ; p < last; p++) {
                if (*p == '<' || *p == '>' || *p == '"' || *p == '\''
                    || *p >= 0x80)
                {
                    __builtin_trap();
                }
            }
        }
    }

    ngx_stub_pool_destroy(pool);

    return 0;
}
