/*
 * test_report.c - meerko-leaktest's verdict (lt_result_decide, a pure
 * function of what was recorded) and exit code (cmocka): an audited client
 * that sent the proxy nothing is NO-PROXY (exit 3), never CLEAN; a leak still
 * wins; loopback flows to other than the proxy are counted "not judged",
 * and the report says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

/* An audit result whose host sent nflows flows of class cls each, and
 * proxy_pkts packets into the proxy. */
static void audit_result(struct lt_result *r, size_t nflows, enum lt_class cls, uint64_t proxy_pkts)
{
	lt_result_init(r, "audit", "test");
	r->expect_proxy = 1;
	r->have_host = r->have_into_proxy = 1;
	lt_scan_init(&r->into_proxy, 1, 1, 1024);
	r->into_proxy.pkts = proxy_pkts;
	r->flows.v = calloc(nflows ? nflows : 1, sizeof(*r->flows.v));
	r->flows.n = r->flows.cap = nflows;
	for (size_t i = 0; i < nflows; i++) {
		r->flows.v[i].family = 4;
		r->flows.v[i].proto = 6;
		r->flows.v[i].cls = cls;
		r->flows.v[i].why = "";
	}
}

/* The text report, for a grep. */
static char *text_of(const struct lt_result *r)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	lt_report_text(f, r, 0);
	lt_report_summary(f, r, 1, "audit");
	fclose(f);
	return buf;
}

static void client_ignoring_the_proxy_on_loopback_is_not_clean(void **st)
{
	(void)st;
	struct lt_result r;
	audit_result(&r, 3, LT_C_LOCAL, 0); /* aria2c to a seeder on 127.0.0.4 */
	lt_result_decide(&r);
	assert_int_equal(r.verdict, LT_V_NO_PROXY);
	assert_int_equal(lt_exit_code(&r, 1), LT_EXIT_NO_PROXY);
	assert_int_equal(lt_result_not_judged(&r), 3);
	const char *t = text_of(&r);
	assert_non_null(strstr(t, "the client never used the proxy"));
	assert_non_null(strstr(t, "3 loopback flows to other than the proxy not judged"));
	assert_null(strstr(t, "CLEAN"));
	lt_result_free(&r);
}

static void client_ignoring_the_proxy_and_leaking_is_a_leak(void **st)
{
	(void)st;
	struct lt_result r;
	audit_result(&r, 1, LT_C_LEAK, 0);
	lt_result_decide(&r);
	assert_int_equal(r.verdict, LT_V_LEAK);
	assert_int_equal(lt_exit_code(&r, 1), 1);
	lt_result_free(&r);
}

static void client_through_the_proxy_is_clean_with_local_flows_not_judged(void **st)
{
	(void)st;
	struct lt_result r;
	audit_result(&r, 2, LT_C_LOCAL, 500); /* the proxy's own flows to a loopback swarm */
	lt_result_decide(&r);
	assert_int_equal(r.verdict, LT_V_CLEAN);
	assert_int_equal(lt_exit_code(&r, 1), 0);
	const char *t = text_of(&r);
	assert_non_null(strstr(t, "CLEAN (no leak; 2 loopback flows to other than the proxy not judged)"));
	lt_result_free(&r);
}

static void lab_scenario_without_the_expectation_stays_clean(void **st)
{
	(void)st;
	struct lt_result r;
	audit_result(&r, 0, LT_C_ALLOWED, 0); /* e.g. --list offline in the lab */
	r.expect_proxy = 0;
	lt_result_decide(&r);
	assert_int_equal(r.verdict, LT_V_CLEAN);
	lt_result_free(&r);
}

static void exit_code_precedence_leak_then_no_proxy_then_error(void **st)
{
	(void)st;
	struct lt_result v[3];
	for (int i = 0; i < 3; i++)
		lt_result_init(&v[i], "x", "y");
	v[0].verdict = LT_V_ERROR;
	v[1].verdict = LT_V_NO_PROXY;
	v[2].verdict = LT_V_CLEAN;
	assert_int_equal(lt_exit_code(v, 3), LT_EXIT_NO_PROXY);
	v[2].verdict = LT_V_MISBEHAVED;
	assert_int_equal(lt_exit_code(v, 3), 1);
	assert_int_equal(lt_exit_code(v, 1), 2);
	assert_string_equal(lt_verdict_name(LT_V_NO_PROXY), "NO-PROXY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_ignoring_the_proxy_on_loopback_is_not_clean),
		cmocka_unit_test(client_ignoring_the_proxy_and_leaking_is_a_leak),
		cmocka_unit_test(client_through_the_proxy_is_clean_with_local_flows_not_judged),
		cmocka_unit_test(lab_scenario_without_the_expectation_stays_clean),
		cmocka_unit_test(exit_code_precedence_leak_then_no_proxy_then_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
