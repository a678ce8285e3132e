
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>

#include "ngx_http_ims_member_digest.h"


/*
 * SHA-256 through one digest context of the process and an algorithm
 * fetched once: EVP_Digest() makes a context and looks the algorithm up
 * on every call, which costs a worker more than the hash itself.
 */

static EVP_MD_CTX    *ngx_http_ims_member_md_ctx;

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
static EVP_MD        *ngx_http_ims_member_md;
#else
static const EVP_MD  *ngx_http_ims_member_md;
#endif


/* dst: NGX_HTTP_IMS_MEMBER_SHA256_LEN bytes */

ngx_int_t
ngx_http_ims_member_sha256(u_char *dst, u_char *data, size_t len)
{
    ngx_str_t  part;

    part.data = data;
    part.len = len;

    return ngx_http_ims_member_sha256_parts(dst, &part, 1);
}


/* the digest of n parts one after the other, without copying them */

ngx_int_t
ngx_http_ims_member_sha256_parts(u_char *dst, ngx_str_t *parts,
    ngx_uint_t n)
{
    ngx_uint_t    i;
    unsigned int  len;

    if (ngx_http_ims_member_md_ctx == NULL) {

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
        ngx_http_ims_member_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
        ngx_http_ims_member_md = EVP_sha256();
#endif

        if (ngx_http_ims_member_md == NULL) {
            return NGX_ERROR;
        }

        ngx_http_ims_member_md_ctx = EVP_MD_CTX_new();
        if (ngx_http_ims_member_md_ctx == NULL) {
            return NGX_ERROR;
        }
    }

    if (EVP_DigestInit_ex(ngx_http_ims_member_md_ctx, ngx_http_ims_member_md,
                          NULL) != 1)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (EVP_DigestUpdate(ngx_http_ims_member_md_ctx, parts[i].data,
                             parts[i].len)
            != 1)
        {
            return NGX_ERROR;
        }
    }

    if (EVP_DigestFinal_ex(ngx_http_ims_member_md_ctx, dst, &len) != 1
        || len != NGX_HTTP_IMS_MEMBER_SHA256_LEN)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* dst: NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN bytes */

ngx_int_t
ngx_http_ims_member_sha256_hex(u_char *dst, u_char *data, size_t len)
{
    u_char  md[NGX_HTTP_IMS_MEMBER_SHA256_LEN];

    if (ngx_http_ims_member_sha256(md, data, len) != NGX_OK) {
        return NGX_ERROR;
    }

    (void) ngx_hex_dump(dst, md, NGX_HTTP_IMS_MEMBER_SHA256_LEN);

    return NGX_OK;
}


void
ngx_http_ims_member_sha256_free(void)
{
    if (ngx_http_ims_member_md_ctx) {
        EVP_MD_CTX_free(ngx_http_ims_member_md_ctx);
        ngx_http_ims_member_md_ctx = NULL;
    }

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
    if (ngx_http_ims_member_md) {
        EVP_MD_free(ngx_http_ims_member_md);
    }
#endif

    ngx_http_ims_member_md = NULL;
}
