/*
 * test_proxy.c - the proxy record from the config to the engine's Configure.
 *
 * Attack: a compromised engine reads the Configure message it was sent (it
 * is its own memory) for the proxy credentials, to use the user's proxy
 * account elsewhere or to learn who they are. What must stop it: behind
 * the relay the engine is told the relay's address and no credentials; the
 * relay authenticates upstream. The packed message is searched for the
 * user name and the password; the unsandboxed engine, which dials the proxy
 * itself, must find them there (so the search can fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "proxy.h"

#define PASSWORD "s3cret-proxy-pw"
#define USER "alice-at-provider"

static void user_config(struct mk_config *c)
{
	mk_config_defaults(c);
	assert_int_equal(mk_config_set(c, "proxy", "host", "192.0.2.9", NULL, NULL, 0), 0);
	assert_int_equal(mk_config_set(c, "proxy", "port", "9050", NULL, NULL, 0), 0);
	assert_int_equal(mk_config_set(c, "proxy", "username", USER, NULL, NULL, 0), 0);
	assert_int_equal(mk_config_set(c, "proxy", "password", PASSWORD, NULL, NULL, 0), 0);
}

/* The Configure the engine would receive for p, packed as on the wire. */
static uint8_t *packed_configure(const struct mk_proxy *p, size_t *len)
{
	Meerko__Configure cf = MEERKO__CONFIGURE__INIT;
	mk_proxy_to_configure(p, &cf);
	*len = meerko__configure__get_packed_size(&cf);
	uint8_t *buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(meerko__configure__pack(&cf, buf), *len);
	return buf;
}

static void test_engine_behind_relay_never_receives_the_credentials(void **state)
{
	struct mk_config c;
	struct mk_proxy p;
	size_t len;
	(void)state;
	user_config(&c);
	mk_proxy_for_engine(&p, &c, "127.0.0.1", 1080);
	assert_int_equal(p.type, MEERKO__PROXY_TYPE__PROXY_SOCKS5);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 1080);
	uint8_t *wire = packed_configure(&p, &len);
	assert_null(memmem(wire, len, PASSWORD, strlen(PASSWORD)));
	assert_null(memmem(wire, len, USER, strlen(USER)));
	assert_null(memmem(wire, len, "192.0.2.9", 9)); /* nor where the real proxy is */
	free(wire);
	/* Control: without the relay the engine authenticates itself. */
	mk_proxy_for_engine(&p, &c, NULL, 0);
	assert_int_equal(p.type, MEERKO__PROXY_TYPE__PROXY_SOCKS5_PW);
	wire = packed_configure(&p, &len);
	assert_non_null(memmem(wire, len, PASSWORD, strlen(PASSWORD)));
	assert_non_null(memmem(wire, len, USER, strlen(USER)));
	free(wire);
}

/* The type follows the config (a user name means RFC 1929) onto the wire. */
static void test_type_from_config_onto_the_wire(void **state)
{
	struct mk_config c;
	struct mk_proxy p;
	Meerko__Configure cf = MEERKO__CONFIGURE__INIT;
	(void)state;
	mk_config_defaults(&c);
	mk_proxy_from_config(&p, &c);
	assert_int_equal(p.type, MEERKO__PROXY_TYPE__PROXY_SOCKS5);
	assert_string_equal(p.user, "");
	mk_proxy_to_configure(&p, &cf);
	assert_int_equal(cf.proxy_type, MEERKO__PROXY_TYPE__PROXY_SOCKS5);
	assert_string_equal(cf.proxy_host, "127.0.0.1");
	assert_int_equal(cf.proxy_port, 1080);
	user_config(&c);
	mk_proxy_from_config(&p, &c);
	mk_proxy_to_configure(&p, &cf);
	assert_int_equal(cf.proxy_type, MEERKO__PROXY_TYPE__PROXY_SOCKS5_PW);
	assert_string_equal(cf.proxy_user, USER);
	assert_int_equal(mk_config_set(&c, "proxy", "type", "none", NULL, NULL, 0), 0);
	mk_proxy_from_config(&p, &c);
	mk_proxy_to_configure(&p, &cf);
	assert_int_equal(p.type, MEERKO__PROXY_TYPE__PROXY_NONE);
	assert_int_equal(cf.proxy_type, MEERKO__PROXY_TYPE__PROXY_NONE);
	assert_string_equal(cf.proxy_host, "");
	assert_string_equal(cf.proxy_user, "");
	assert_string_equal(cf.proxy_password, ""); /* a direct engine has no credentials to use */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_behind_relay_never_receives_the_credentials),
		cmocka_unit_test(test_type_from_config_onto_the_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
