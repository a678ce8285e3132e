
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * SHA-256 (FIPS 180-4) of a token, so that only hashes reach the database:
 * nginx's core has MD5 and SHA-1 only, and the module needs no TLS library
 * for this one function.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_sha256.h"


#define ngx_http_ims_member_ror(x, n)  (((x) >> (n)) | ((x) << (32 - (n))))


typedef struct {
    uint32_t  h[8];
    uint64_t  bytes;
    u_char    buf[64];
} ngx_http_ims_member_sha256_t;


static void ngx_http_ims_member_sha256_block(ngx_http_ims_member_sha256_t *s,
    u_char *p);


static const uint32_t  ngx_http_ims_member_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};


u_char *
ngx_http_ims_member_sha256_hex(u_char *dst, u_char *data, size_t len)
{
    u_char                        digest[32], tail[128];
    size_t                        n, pad;
    uint64_t                      bits;
    ngx_uint_t                    i;
    ngx_http_ims_member_sha256_t  s;

    s.h[0] = 0x6a09e667;
    s.h[1] = 0xbb67ae85;
    s.h[2] = 0x3c6ef372;
    s.h[3] = 0xa54ff53a;
    s.h[4] = 0x510e527f;
    s.h[5] = 0x9b05688c;
    s.h[6] = 0x1f83d9ab;
    s.h[7] = 0x5be0cd19;
    s.bytes = len;

    while (len >= 64) {
        ngx_http_ims_member_sha256_block(&s, data);
        data += 64;
        len -= 64;
    }

    /* the rest, 0x80, zeros, and the length in bits, big-endian */

    n = len;
    ngx_memcpy(tail, data, n);
    tail[n++] = 0x80;

    pad = (n <= 56) ? 64 : 128;
    ngx_memzero(tail + n, pad - n);

    bits = s.bytes * 8;

    for (i = 0; i < 8; i++) {
        tail[pad - 1 - i] = (u_char) (bits >> (8 * i));
    }

    ngx_http_ims_member_sha256_block(&s, tail);

    if (pad == 128) {
        ngx_http_ims_member_sha256_block(&s, tail + 64);
    }

    for (i = 0; i < 8; i++) {
        digest[4 * i] = (u_char) (s.h[i] >> 24);
        digest[4 * i + 1] = (u_char) (s.h[i] >> 16);
        digest[4 * i + 2] = (u_char) (s.h[i] >> 8);
        digest[4 * i + 3] = (u_char) s.h[i];
    }

    return ngx_hex_dump(dst, digest, 32);
}


static void
ngx_http_ims_member_sha256_block(ngx_http_ims_member_sha256_t *s, u_char *p)
{
    uint32_t    a, b, c, d, e, f, g, h, t1, t2, s0, s1, w[64];
    ngx_uint_t  i;

    for (i = 0; i < 16; i++) {
        w[i] = ((uint32_t) p[4 * i] << 24) | ((uint32_t) p[4 * i + 1] << 16)
               | ((uint32_t) p[4 * i + 2] << 8) | (uint32_t) p[4 * i + 3];
    }

    for (i = 16; i < 64; i++) {
        s0 = ngx_http_ims_member_ror(w[i - 15], 7)
             ^ ngx_http_ims_member_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        s1 = ngx_http_ims_member_ror(w[i - 2], 17)
             ^ ngx_http_ims_member_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }

    a = s->h[0];
    b = s->h[1];
    c = s->h[2];
    d = s->h[3];
    e = s->h[4];
    f = s->h[5];
    g = s->h[6];
    h = s->h[7];

    for (i = 0; i < 64; i++) {
        s1 = ngx_http_ims_member_ror(e, 6) ^ ngx_http_ims_member_ror(e, 11)
             ^ ngx_http_ims_member_ror(e, 25);
        t1 = h + s1 + ((e & f) ^ (~e & g)) + ngx_http_ims_member_sha256_k[i]
             + w[i];
        s0 = ngx_http_ims_member_ror(a, 2) ^ ngx_http_ims_member_ror(a, 13)
             ^ ngx_http_ims_member_ror(a, 22);
        t2 = s0 + ((a & b) ^ (a & c) ^ (b & c));

        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }

    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}
