# nginx -t refuses a bad configuration with a message that names the fix.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();

run_tests();

__DATA__

=== TEST 1: a handler without ims_member_database
--- config
    location /v2/images/ {
        ims_member_update;
    }
--- must_die
--- error_log
"ims_member_update" needs the database: set "ims_member_database" in the http block



=== TEST 2: a connection string libpq cannot parse
--- http_config
    ims_member_database "host=127.0.0.1 bogus_option=1";
--- config
--- must_die
--- error_log
invalid connection string: invalid connection option "bogus_option"



=== TEST 3: an empty connection string
--- http_config
    ims_member_database "";
--- config
--- must_die
--- error_log
"ims_member_database" directive is empty



=== TEST 4: a pool size that is not a number
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_pool many;
--- config
--- must_die
--- error_log
"ims_member_pool" directive invalid number



=== TEST 5: a pool size out of bounds
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_pool 0;
--- config
--- must_die
--- error_log
"ims_member_pool" directive must be between 1 and 4096



=== TEST 6: a bad timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 10q;
--- config
--- must_die
--- error_log
"ims_member_timeout" directive invalid value



=== TEST 7: a zero timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 0;
--- config
--- must_die
--- error_log
"ims_member_timeout" must be more than 0



=== TEST 8: the database directive outside http
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location / {
        ims_member_database "$TEST_NGINX_PG_DSN";
    }
--- must_die
--- error_log
"ims_member_database" directive is not allowed here



=== TEST 9: two handlers in one location
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location /v2/ {
        ims_member_schemas;
        ims_member_update;
    }
--- must_die
--- error_log
"ims_member_update" directive is duplicate: the location already has a content handler



=== TEST 10: a handler takes no arguments
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location /v2/ {
        ims_member_update on;
    }
--- must_die
--- error_log
invalid number of arguments in "ims_member_update" directive



=== TEST 11: roles without a project
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location /v2/ {
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- must_die
--- error_log
"ims_member_roles" is set where "ims_member_project" is not



=== TEST 12: the schemas need no database; a host name draws a warning
--- http_config
    ims_member_database "host=localhost dbname=ims";
--- config
    location /v2/schemas/ {
        ims_member_schemas;
    }
--- request
GET /v2/schemas/member
--- error_code: 200
--- error_log
host "localhost" is a name: libpq resolves it with a blocking call in the worker



=== TEST 13: the batch handler without ims_member_database
--- config
    location = /v1/cloudimages/members {
        ims_member_batch;
    }
--- must_die
--- error_log
"ims_member_batch" needs the database: set "ims_member_database" in the http block



=== TEST 14: a batch limit out of bounds
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_batch_max 0;
--- config
--- must_die
--- error_log
"ims_member_batch_max" directive must be between 1 and 100000



=== TEST 15: a zero job interval
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_interval 0s;
--- config
--- must_die
--- error_log
"ims_member_job_interval" must be more than 0



=== TEST 16: a bad retention
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_retention forever;
--- config
--- must_die
--- error_log
"ims_member_job_retention" directive invalid value



=== TEST 17: a retention past what the database's integer takes
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_retention 69y;
--- config
--- must_die
--- error_log
"ims_member_job_retention" must be less than 68 years



=== TEST 18: a lease past what the database's integer takes
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 20d;
    ims_member_job_interval 5d;
--- config
--- must_die
--- error_log
"ims_member_timeout" and "ims_member_job_interval" together must be less than 24 days



=== TEST 19: a zero idle timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_idle_timeout 0;
--- config
--- must_die
--- error_log
"ims_member_idle_timeout" must be more than 0



=== TEST 20: a bad idle timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_idle_timeout soon;
--- config
--- must_die
--- error_log
"ims_member_idle_timeout" directive invalid value



=== TEST 21: a queue out of bounds
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_queue 2000000;
--- config
--- must_die
--- error_log
"ims_member_queue" directive must be between 0 and 1048576



=== TEST 22: a queue that is not a number
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_queue many;
--- config
--- must_die
--- error_log
"ims_member_queue" directive invalid number



=== TEST 23: ims_member_keystone takes the URI of a location, not a URL
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_keystone http://keystone:5000/v3/auth/tokens;
--- must_die
--- error_log
"ims_member_keystone" takes "off" or the URI of an internal location that proxies to Keystone's /v3/auth/tokens, not "http://keystone:5000/v3/auth/tokens"



=== TEST 24: a keystone cache without a zone
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache valid=5m;
--- config
--- must_die
--- error_log
"ims_member_keystone_cache" must have the "zone" parameter



=== TEST 25: a keystone cache zone without a size
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone;
--- config
--- must_die
--- error_log
invalid zone "zone=keystone": use zone=NAME:SIZE



=== TEST 26: a keystone cache zone too small
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone:1k;
--- config
--- must_die
--- error_log eval
qr/zone "zone=keystone:1k" is too small: at least \d+ bytes/



=== TEST 27: a keystone cache entry that lives no time
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone:1m valid=0;
--- config
--- must_die
--- error_log
invalid time "valid=0": a time of at least one second, e.g. 5m



=== TEST 28: an unknown keystone cache parameter
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone:1m inactive=1m;
--- config
--- must_die
--- error_log
invalid parameter "inactive=1m"



=== TEST 29: administrator roles are one name per parameter
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_admin_roles "admin,cloud_admin";
--- must_die
--- error_log
invalid role "admin,cloud_admin": one role name per parameter, without commas or blanks



=== TEST 30: the keystone cache is set once
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=a:1m;
    ims_member_keystone_cache zone=b:1m;
--- config
--- must_die
--- error_log
"ims_member_keystone_cache" directive is duplicate



=== TEST 31: an error format that does not exist
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_errors openstack;
        ims_member_update;
    }
--- must_die
--- error_log
invalid value "openstack": "ims" (JSON IMG.xxxx errors) or "glance" (Glance's own answers)



=== TEST 32: the error format is set once per level
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_errors glance;
    ims_member_errors ims;
--- must_die
--- error_log
"ims_member_errors" directive is duplicate



=== TEST 33: group commit is on or off, in http only
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit sometimes;
--- config
--- must_die
--- error_log
invalid value "sometimes" in "ims_member_group_commit" directive, it must be "on" or "off"



=== TEST 34: group commit is a worker's, not a location's
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location / {
        ims_member_group_commit off;
    }
--- must_die
--- error_log
"ims_member_group_commit" directive is not allowed here



=== TEST 35: the member API needs the database
--- http_config
--- config
    location /v2/images/ {
        ims_member_api;
    }
--- must_die
--- error_log
"ims_member_api" needs the database: set "ims_member_database" in the http block



=== TEST 36: a quota is a number or "off"
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_quota lots;
--- config
--- must_die
--- error_log
invalid value "lots": the most live members of one image, from 0 to 2147483647, or "off"



=== TEST 37: a quota fits the database's 32 bits
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location / {
        ims_member_quota 2147483648;
    }
--- must_die
--- error_log
invalid value "2147483648"



=== TEST 38: the versions take no argument, and no database
--- http_config
--- config
    location = /versions {
        ims_member_versions now;
    }
--- must_die
--- error_log
invalid number of arguments in "ims_member_versions" directive



=== TEST 39: prepared statements are on or off, in http only
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare sometimes;
--- config
--- must_die
--- error_log
invalid value "sometimes" in "ims_member_prepare" directive, it must be "on" or "off"



=== TEST 40: the LISTEN connection string is checked like the database's
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_listen "host=127.0.0.1 bogus_option=1";
--- config
--- must_die
--- error_log
invalid connection string: invalid connection option "bogus_option"



=== TEST 41: an empty LISTEN connection string
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_listen "";
--- config
--- must_die
--- error_log
"ims_member_job_listen" directive is empty



=== TEST 42: the LISTEN connection is set once
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_listen off;
    ims_member_job_listen "$TEST_NGINX_PG_DSN";
--- config
--- must_die
--- error_log
"ims_member_job_listen" directive is duplicate



=== TEST 43: a host name in the LISTEN connection string draws a warning
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_job_listen "host=localhost dbname=ims";
--- config
    location /v2/schemas/ {
        ims_member_schemas;
    }
--- request
GET /v2/schemas/member
--- error_code: 200
--- error_log
host "localhost" is a name: libpq resolves it with a blocking call in the worker



=== TEST 44: a policy that does not exist
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location /v2/images/ {
        ims_member_policy strict;
        ims_member_api;
    }
--- must_die
--- error_log
invalid value "strict": "new" (Glance's new default policies, which read the caller's roles) or "legacy" (Glance's legacy rules)



=== TEST 45: the policy is set once per level
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_policy legacy;
    ims_member_policy new;
--- config
--- must_die
--- error_log
"ims_member_policy" directive is duplicate



=== TEST 46: the policy is one word, at any level
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_policy legacy;
--- config
    ims_member_policy new;
    location /v2/images/ {
        ims_member_policy legacy;
        ims_member_api;
    }
    location /x {
        ims_member_policy new legacy;
    }
--- must_die
--- error_log
invalid number of arguments in "ims_member_policy" directive



=== TEST 47: a failover manager's URI, numeric hosts: no warning
--- http_config
    ims_member_database "postgresql://postgres@127.0.0.1:5432,127.0.0.1:5433/ims?target_session_attrs=read-write";
--- config
    location /v2/schemas/ {
        ims_member_schemas;
    }
--- request
GET /v2/schemas/member
--- error_code: 200
--- no_error_log
is a name



=== TEST 48: a list of hosts: each name draws its warning
--- http_config
    ims_member_database "host=127.0.0.1,localhost,/run/postgresql port=5432,5433,5432 dbname=ims";
--- config
    location /v2/schemas/ {
        ims_member_schemas;
    }
--- request
GET /v2/schemas/member
--- error_code: 200
--- error_log
host "localhost" is a name: libpq resolves it with a blocking call in the worker



=== TEST 49: a group threshold out of bounds
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_threshold 2000000;
--- config
--- must_die
--- error_log
"ims_member_group_threshold" directive must be between 0 and 1048576



=== TEST 50: a group threshold that is not a number
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_threshold some;
--- config
--- must_die
--- error_log
"ims_member_group_threshold" directive invalid number
