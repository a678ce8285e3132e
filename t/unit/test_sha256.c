
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_sha256.h"


/*
 * FIPS 180-4 examples, and messages of bytes 0, 1, 2... around the
 * padding's edges (55 and 56 bytes: one block or two; 64, 119, 120: a
 * full block before); the digests are those of Python's hashlib and of
 * sha256sum, e.g.
 *
 *     python3 -c 'from hashlib import sha256
 *                 print(sha256(bytes(range(55))).hexdigest())'
 */


typedef struct {
    char        *name;
    char        *data;     /* NULL: the bytes 0, 1, 2... */
    size_t       len;
    char        *digest;
} unit_sha256_t;


static void unit_sha256_check(char *name, u_char *data, size_t len,
    char *digest);


static unit_sha256_t  unit_sha256_vectors[] = {

    { "\"\"", "", 0,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },

    { "\"abc\"", "abc", 3,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },

    { "the 56-byte FIPS message",
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },

    { "the 112-byte FIPS message",
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },

    { "55 bytes", NULL, 55,
      "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },

    { "56 bytes", NULL, 56,
      "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },

    { "63 bytes", NULL, 63,
      "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },

    { "64 bytes", NULL, 64,
      "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },

    { "65 bytes", NULL, 65,
      "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },

    { "119 bytes", NULL, 119,
      "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },

    { "120 bytes", NULL, 120,
      "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },

    { "256 bytes, each byte value once", NULL, 256,
      "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880" },

    { NULL, NULL, 0, NULL }
};


void
test_sha256(void)
{
    u_char         *data;
    size_t          i;
    unit_sha256_t  *t;

    unit_section("sha256: ngx_http_ims_member_sha256_hex");

    for (t = unit_sha256_vectors; t->name; t++) {

        data = malloc(t->len ? t->len : 1);
        if (data == NULL) {
            fprintf(stderr, "malloc() failed\n");
            exit(2);
        }

        /* a buffer of its own, so that valgrind sees a read past it */

        if (t->data) {
            ngx_memcpy(data, t->data, t->len);

        } else {
            for (i = 0; i < t->len; i++) {
                data[i] = (u_char) i;
            }
        }

        unit_sha256_check(t->name, data, t->len, t->digest);

        free(data);
    }

    data = malloc(1000000);
    if (data == NULL) {
        fprintf(stderr, "malloc() failed\n");
        exit(2);
    }

    ngx_memset(data, 'a', 1000000);

    unit_sha256_check("1,000,000 x \"a\"", data, 1000000,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    free(data);
}


static void
unit_sha256_check(char *name, u_char *data, size_t len, char *digest)
{
    u_char  *end, out[NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN + 1];

    ngx_memset(out, '#', sizeof(out));

    end = ngx_http_ims_member_sha256_hex(out, data, len);

    unit_is_mem(out, end - out, (u_char *) digest,
                NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN, "sha256 of %s", name);
    unit_is_int(out[NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN], '#',
                "sha256 of %s writes 64 bytes only", name);
}
