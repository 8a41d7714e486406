/*
 * report.c - verdicts, text and JSON reports (contract in report.h).
 */
#include "report.h"

#include <stdarg.h>
#include <string.h>

void lt_result_init(struct lt_result *r, const char *name, const char *title)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->title, sizeof(r->title), "%s", title);
	r->client_exit = -1;
	r->expect_ok = 1;
	r->seeder_handshakes = -1;
}

void lt_result_free(struct lt_result *r)
{
	lt_flows_free(&r->flows);
	lt_scan_free(&r->into_proxy);
	lt_scan_free(&r->observer);
}

void lt_result_note(struct lt_result *r, const char *fmt, ...)
{
	if (r->nnotes >= LT_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

static size_t failing_flows(const struct lt_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->flows.n; i++)
		n += lt_class_fails(r->flows.v[i].cls);
	return n;
}

void lt_result_decide(struct lt_result *r)
{
	size_t leaks = failing_flows(r) + lt_scan_failures(&r->observer) +
		       lt_scan_failures(&r->into_proxy);
	if (leaks > 0)
		r->verdict = LT_V_LEAK;
	else if (r->error[0])
		r->verdict = LT_V_ERROR;
	else if ((r->have_host && r->host_cap.dropped) ||
		 (r->have_observer && r->observer_cap.dropped)) {
		snprintf(r->error, sizeof(r->error),
			 "the capture is incomplete (the kernel dropped packets): no verdict");
		r->verdict = LT_V_ERROR;
	} else if (r->expect_proxy && r->have_into_proxy && r->into_proxy.pkts == 0)
		r->verdict = LT_V_NO_PROXY;
	else if (!r->expect_ok)
		r->verdict = LT_V_MISBEHAVED;
	else
		r->verdict = LT_V_CLEAN;
}

const char *lt_verdict_name(enum lt_verdict v)
{
	switch (v) {
	case LT_V_CLEAN: return "CLEAN";
	case LT_V_MISBEHAVED: return "MISBEHAVED";
	case LT_V_ERROR: return "ERROR";
	case LT_V_LEAK: return "LEAK";
	case LT_V_NO_PROXY: return "NO-PROXY";
	}
	return "?";
}

size_t lt_result_not_judged(const struct lt_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->flows.n; i++)
		n += r->flows.v[i].family != 0 && r->flows.v[i].cls == LT_C_LOCAL;
	return n;
}

int lt_exit_code(const struct lt_result *v, size_t n)
{
	int err = 0, no_proxy = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].verdict == LT_V_LEAK || v[i].verdict == LT_V_MISBEHAVED)
			return 1;
		err |= v[i].verdict == LT_V_ERROR;
		no_proxy |= v[i].verdict == LT_V_NO_PROXY;
	}
	return no_proxy ? LT_EXIT_NO_PROXY : err ? 2 : 0;
}

/* ------------------------------------------------------------------ text */
static void text_findings(FILE *f, const struct lt_scan *s, const char *label)
{
	size_t fails = lt_scan_failures(s), notes = s->nf - fails;
	fprintf(f, "  %-12s %zu failing finding%s, %zu note%s\n", label, fails, fails == 1 ? "" : "s",
		notes, notes == 1 ? "" : "s");
	for (size_t i = 0; i < s->nf; i++) {
		const struct lt_finding *x = &s->f[i];
		if (x->fails)
			fprintf(f, "    LEAK  %s: %s (x%u)\n", x->where, x->what, x->count);
	}
	/* notes: one line per distinct text, however many flows it was seen in */
	for (size_t i = 0; i < s->nf; i++) {
		const struct lt_finding *x = &s->f[i];
		if (x->fails)
			continue;
		int seen_before = 0;
		unsigned count = 0, flows = 0;
		for (size_t j = 0; j < s->nf; j++) {
			if (s->f[j].fails || strcmp(s->f[j].what, x->what) != 0)
				continue;
			seen_before |= j < i;
			count += s->f[j].count;
			flows++;
		}
		if (seen_before)
			continue;
		if (flows == 1)
			fprintf(f, "    note  %s: %s (x%u)\n", x->where, x->what, count);
		else
			fprintf(f, "    note  %s (x%u, in %u flows, first %s)\n", x->what, count, flows,
				x->where);
	}
}

static void text_flow(FILE *f, const struct lt_flow *fl, const char *tag)
{
	char b[200];
	fprintf(f, "    %-6s %s  [%s] out %llu pkt/%llu B, in %llu pkt/%llu B, %.2f-%.2f s\n", tag,
		lt_flow_str(fl, b, sizeof(b)), fl->why ? fl->why : "",
		(unsigned long long)fl->pkts_out, (unsigned long long)fl->bytes_out,
		(unsigned long long)fl->pkts_in, (unsigned long long)fl->bytes_in, fl->first,
		fl->last);
}

void lt_report_text(FILE *f, const struct lt_result *r, int verbose)
{
	fprintf(f, "\n== scenario %s: %s\n", r->name, r->title);
	if (r->client[0]) {
		fprintf(f, "  client       %s: ", r->client);
		if (r->client_exit < 0)
			fprintf(f, "not run\n");
		else if (r->client_exit == 124)
			fprintf(f, "timed out after %.1f s (stopped)\n", r->client_secs);
		else
			fprintf(f, "exit %d after %.1f s\n", r->client_exit, r->client_secs);
	}
	if (r->expect[0])
		fprintf(f, "  expected     %s: %s%s%s\n", r->expect, r->expect_ok ? "yes" : "NO",
			r->expect_detail[0] ? " - " : "", r->expect_detail);
	if (r->have_host) {
		const struct lt_flows *fl = &r->flows;
		fprintf(f, "  host         %s: %llu packets (%llu out, %llu in), %llu dropped\n",
			r->host_desc, (unsigned long long)fl->pkts_total,
			(unsigned long long)fl->pkts_out, (unsigned long long)fl->pkts_in,
			(unsigned long long)r->host_cap.dropped);
		size_t nflows = 0, allowed = 0, local = 0, inbound = 0;
		for (size_t i = 0; i < fl->n; i++) {
			if (fl->v[i].family == 0)
				continue;
			nflows++;
			allowed += fl->v[i].cls == LT_C_ALLOWED;
			local += fl->v[i].cls == LT_C_LOCAL;
			inbound += fl->v[i].cls == LT_C_INBOUND;
		}
		fprintf(f,
			"  flows        %zu: %zu to the proxy, %zu loopback not judged, %zu inbound only, %zu LEAK, %zu "
			"DNS-LEAK, %zu undecoded\n",
			nflows, allowed, local, inbound, lt_flows_count_class(fl, LT_C_LEAK),
			lt_flows_count_class(fl, LT_C_DNS), lt_flows_count_class(fl, LT_C_UNDECODED));
		for (size_t i = 0; i < fl->n; i++)
			if (lt_class_fails(fl->v[i].cls))
				text_flow(f, &fl->v[i], lt_class_name(fl->v[i].cls));
		if (verbose)
			for (size_t i = 0; i < fl->n; i++)
				if (!lt_class_fails(fl->v[i].cls) && fl->v[i].family)
					text_flow(f, &fl->v[i], lt_class_name(fl->v[i].cls));
		fprintf(f, "  link noise   %llu packets (not flows):",
			(unsigned long long)fl->by_class[LT_C_LINK_NOISE]);
		int any = 0;
		for (size_t i = 0; i < fl->n; i++)
			if (fl->v[i].family == 0) {
				fprintf(f, "%s %s %llu", any ? "," : "", fl->v[i].why,
					(unsigned long long)(fl->v[i].pkts_out + fl->v[i].pkts_in));
				any = 1;
			}
		fprintf(f, "%s\n", any ? "" : " none");
	}
	if (r->have_into_proxy && r->into_proxy.pkts == 0) {
		fprintf(f, "  into proxy   nothing was sent to the proxy%s\n",
			r->expect_proxy ? ": NO-PROXY, the client never used the proxy" : "");
	} else if (r->have_into_proxy) {
		const struct lt_scan *s = &r->into_proxy;
		fprintf(f,
			"  into proxy   %llu packets scanned: %u HTTP requests, %u BitTorrent handshakes, "
			"%u extension handshakes\n",
			(unsigned long long)s->pkts, s->http_requests, s->bt_handshakes,
			s->ext_handshakes);
		text_findings(f, s, "");
	}
	if (r->have_observer) {
		const struct lt_scan *s = &r->observer;
		fprintf(f, "  swarm host   %s: %llu packets received, %llu dropped\n", r->observer_desc,
			(unsigned long long)r->observer_received,
			(unsigned long long)r->observer_cap.dropped);
		fprintf(f,
			"  scanned      %u HTTP requests, %u BitTorrent handshakes, %u extension "
			"handshakes, %u DHT messages",
			s->http_requests, s->bt_handshakes, s->ext_handshakes, s->dht_msgs);
		if (r->seeder_handshakes >= 0)
			fprintf(f, "; seeder's log: %d handshakes", r->seeder_handshakes);
		fprintf(f, "\n");
		text_findings(f, s, "");
	}
	for (int i = 0; i < r->nnotes; i++)
		fprintf(f, "  note         %s\n", r->notes[i]);
	if (r->error[0])
		fprintf(f, "  error        %s\n", r->error);
	const char *why = r->verdict == LT_V_CLEAN ? "no leak" :
			  r->verdict == LT_V_LEAK ? "see the LEAK lines above" :
			  r->verdict == LT_V_NO_PROXY ? "the client never used the proxy: not one packet "
							"went into it, so nothing it did was private" : "";
	size_t nj = lt_result_not_judged(r);
	char njs[96] = "";
	if (nj > 0)
		snprintf(njs, sizeof(njs), "%zu loopback flow%s to other than the proxy not judged", nj,
			 nj == 1 ? "" : "s");
	fprintf(f, "  verdict      %s", lt_verdict_name(r->verdict));
	if (why[0] || njs[0])
		fprintf(f, " (%s%s%s)", why, why[0] && njs[0] ? "; " : "", njs);
	fprintf(f, "\n");
}

void lt_report_summary(FILE *f, const struct lt_result *v, size_t n, const char *mode)
{
	fprintf(f, "\n== summary (%s)\n", mode);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  %-20s %-10s", v[i].name, lt_verdict_name(v[i].verdict));
		if (v[i].client_exit >= 0)
			fprintf(f, " client exit %d", v[i].client_exit);
		if (v[i].have_host)
			fprintf(f, ", %llu packets, %zu flows",
				(unsigned long long)v[i].flows.pkts_total, lt_flows_ip_count(&v[i].flows));
		fprintf(f, "\n");
	}
	int rc = lt_exit_code(v, n);
	fprintf(f, "  exit %d: %s\n", rc,
		rc == 0 ? "no leak" : rc == 1 ? "leak found or client misbehaved" :
		rc == LT_EXIT_NO_PROXY ? "the client never used the proxy" : "could not run");
}

/* ------------------------------------------------------------------ JSON */
static void js(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_scan(FILE *f, const struct lt_scan *s)
{
	fprintf(f,
		"{\"packets\":%llu,\"http_requests\":%u,\"bt_handshakes\":%u,\"ext_handshakes\":%u,"
		"\"dht_messages\":%u,\"failing\":%zu,\"findings\":[",
		(unsigned long long)s->pkts, s->http_requests, s->bt_handshakes, s->ext_handshakes,
		s->dht_msgs, lt_scan_failures(s));
	static const char *const kinds[] = { "needle",      "address-parameter", "peer-id",
					     "user-agent",  "client-version",    "source",
					     "fingerprint", "repeated",          "note" };
	for (size_t i = 0; i < s->nf; i++) {
		const struct lt_finding *x = &s->f[i];
		fprintf(f, "%s{\"kind\":\"%s\",\"fails\":%s,\"where\":", i ? "," : "", kinds[x->kind],
			x->fails ? "true" : "false");
		js(f, x->where);
		fprintf(f, ",\"what\":");
		js(f, x->what);
		fprintf(f, ",\"count\":%u}", x->count);
	}
	fprintf(f, "]}");
}

static void json_cap(FILE *f, const struct lt_capture_stats *c)
{
	fprintf(f, "{\"written\":%llu,\"received\":%llu,\"dropped\":%llu,\"linktype\":%d}",
		(unsigned long long)c->written, (unsigned long long)c->received,
		(unsigned long long)c->dropped, c->linktype);
}

static void json_result(FILE *f, const struct lt_result *r)
{
	fprintf(f, "{\"name\":");
	js(f, r->name);
	fprintf(f, ",\"title\":");
	js(f, r->title);
	fprintf(f, ",\"verdict\":\"%s\",\"not_judged\":%zu,\"error\":", lt_verdict_name(r->verdict),
		lt_result_not_judged(r));
	js(f, r->error);
	fprintf(f, ",\"client\":{\"command\":");
	js(f, r->client);
	fprintf(f, ",\"exit_code\":%d,\"seconds\":%.2f},\"expectation\":{\"text\":", r->client_exit,
		r->client_secs);
	js(f, r->expect);
	fprintf(f, ",\"met\":%s,\"detail\":", r->expect_ok ? "true" : "false");
	js(f, r->expect_detail);
	fprintf(f, "},\"notes\":[");
	for (int i = 0; i < r->nnotes; i++) {
		fprintf(f, "%s", i ? "," : "");
		js(f, r->notes[i]);
	}
	fprintf(f, "]");
	if (r->have_host) {
		const struct lt_flows *fl = &r->flows;
		fprintf(f, ",\"host\":{\"where\":");
		js(f, r->host_desc);
		fprintf(f, ",\"capture\":");
		json_cap(f, &r->host_cap);
		fprintf(f, ",\"packets\":%llu,\"outbound\":%llu,\"inbound\":%llu,\"flows\":[",
			(unsigned long long)fl->pkts_total, (unsigned long long)fl->pkts_out,
			(unsigned long long)fl->pkts_in);
		for (size_t i = 0; i < fl->n; i++) {
			const struct lt_flow *x = &fl->v[i];
			char b[200];
			fprintf(f, "%s{\"flow\":", i ? "," : "");
			js(f, lt_flow_str(x, b, sizeof(b)));
			fprintf(f, ",\"class\":\"%s\",\"fails\":%s,\"why\":", lt_class_name(x->cls),
				lt_class_fails(x->cls) ? "true" : "false");
			js(f, x->why ? x->why : "");
			fprintf(f,
				",\"pkts_out\":%llu,\"bytes_out\":%llu,\"pkts_in\":%llu,\"bytes_in\":%llu,"
				"\"first\":%.3f,\"last\":%.3f}",
				(unsigned long long)x->pkts_out, (unsigned long long)x->bytes_out,
				(unsigned long long)x->pkts_in, (unsigned long long)x->bytes_in, x->first,
				x->last);
		}
		fprintf(f, "]}");
	}
	if (r->have_into_proxy) {
		fprintf(f, ",\"into_proxy\":");
		json_scan(f, &r->into_proxy);
	}
	if (r->have_observer) {
		fprintf(f, ",\"swarm_host\":{\"where\":");
		js(f, r->observer_desc);
		fprintf(f, ",\"capture\":");
		json_cap(f, &r->observer_cap);
		fprintf(f, ",\"received\":%llu,\"seeder_log_handshakes\":%d,\"scan\":",
			(unsigned long long)r->observer_received, r->seeder_handshakes);
		json_scan(f, &r->observer);
		fprintf(f, "}");
	}
	fprintf(f, "}");
}

void lt_report_json(FILE *f, const struct lt_result *v, size_t n, const char *mode)
{
	int rc = lt_exit_code(v, n);
	fprintf(f, "{\"tool\":\"meerko-leaktest\",\"mode\":");
	js(f, mode);
	fprintf(f, ",\"exit_code\":%d,\"verdict\":\"%s\",\"scenarios\":[", rc,
		rc == 0 ? "clean" : rc == 1 ? "leak-or-misbehaved" :
		rc == LT_EXIT_NO_PROXY ? "never-used-proxy" : "could-not-run");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_result(f, &v[i]);
	}
	fprintf(f, "]}\n");
}
