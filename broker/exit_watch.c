/*
 * exit_watch.c - the exit the swarm sees, judged (see exit_watch.h for the
 * rules). Everything fed in came from the hostile engine and was checked by
 * engine_msg.c for shape only; here a lie can at most make a false alarm
 * that needs a second source to agree.
 */
#include "exit_watch.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int mk_ip_from_bytes(const uint8_t *b, size_t len, struct mk_ip *out)
{
	memset(out, 0, sizeof *out);
	if (len == 4 || (len == 16 && memcmp(b, v4_mapped_prefix, 12) == 0)) {
		out->fam = 4;
		memcpy(out->b, len == 4 ? b : b + 12, 4);
		return 0;
	}
	if (len != 16)
		return -1;
	out->fam = 6;
	memcpy(out->b, b, 16);
	return 0;
}

int mk_ip_parse(const char *s, struct mk_ip *out)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1)
		return mk_ip_from_bytes(b, 4, out);
	if (inet_pton(AF_INET6, s, b) == 1)
		return mk_ip_from_bytes(b, 16, out);
	return -1;
}

bool mk_ip_equal(const struct mk_ip *a, const struct mk_ip *b)
{
	return a->fam == b->fam && memcmp(a->b, b->b, a->fam == 4 ? 4 : 16) == 0;
}

static int max_prefix(const struct mk_ip *ip)
{
	return ip->fam == 4 ? 32 : 128;
}

static void clear_host_bits(struct mk_ip *ip, int prefix)
{
	for (int bit = prefix; bit < max_prefix(ip); bit++)
		ip->b[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

bool mk_cidr_match(const struct mk_cidr *c, const struct mk_ip *ip)
{
	if (c->ip.fam != ip->fam)
		return false;
	struct mk_ip masked = *ip;
	clear_host_bits(&masked, c->prefix);
	return mk_ip_equal(&masked, &c->ip);
}

void mk_ip_str(const struct mk_ip *ip, char *buf, size_t len)
{
	char s[MK_EXIT_IP_STR];
	if (!inet_ntop(ip->fam == 4 ? AF_INET : AF_INET6, ip->b, s, sizeof s))
		snprintf(s, sizeof s, "?");
	snprintf(buf, len, "%s", s);
}

bool mk_ip_meaningless(const struct mk_ip *ip)
{
	const uint8_t *b = ip->b;
	static const uint8_t zero[16];
	if (ip->fam == 4)
		return b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224;
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return true; /* :: and ::1 */
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff; /* fe80::/10, multicast */
}

/* One "IP" or "IP/PREFIX" of n bytes at s. */
static int parse_rule(const char *s, size_t n, struct mk_cidr *out)
{
	char item[64];
	if (n == 0 || n >= sizeof item)
		return -1;
	memcpy(item, s, n);
	item[n] = '\0';
	char *slash = strchr(item, '/');
	long prefix = -1;
	if (slash) {
		char *end;
		*slash = '\0';
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		prefix = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end - (slash + 1) > 3)
			return -1;
	}
	uint8_t raw[16];
	bool v4 = inet_pton(AF_INET, item, raw) == 1;
	if (!v4 && inet_pton(AF_INET6, item, raw) != 1)
		return -1;
	memset(out, 0, sizeof *out);
	bool mapped = !v4 && memcmp(raw, v4_mapped_prefix, 12) == 0;
	mk_ip_from_bytes(raw, v4 ? 4 : 16, &out->ip);
	int full = v4 ? 32 : 128;
	if (prefix > full)
		return -1;
	out->prefix = prefix < 0 ? max_prefix(&out->ip) : mapped ? (int)prefix - 96 : (int)prefix;
	if (out->prefix < 0)
		return -1; /* ::ffff:0:0/90 spans more than IPv4 */
	clear_host_bits(&out->ip, out->prefix);
	return 0;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int mk_exit_parse_expected(const char *list, struct mk_cidr *out, size_t max, size_t *n,
			   char *err, size_t errlen)
{
	const char *p = skip_space(list);
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		size_t item = len;
		while (item > 0 && (p[item - 1] == ' ' || p[item - 1] == '\t'))
			item--;
		if (*n >= max) {
			snprintf(err, errlen, "more than %zu addresses or ranges", max);
			return -1;
		}
		if (parse_rule(p, item, &out[*n]) != 0) {
			snprintf(err, errlen, "item %zu is not an IP address or IP/PREFIX (e.g. 203.0.113.7, "
				 "198.51.100.0/24, 2001:db8::/32)", *n + 1);
			return -1;
		}
		(*n)++;
		p += len;
		if (*p == ',') {
			p = skip_space(p + 1);
			if (*p == '\0') {
				snprintf(err, errlen, "ends with a comma");
				return -1;
			}
		}
	}
	return 0;
}

void mk_exit_watch_init(struct mk_exit_watch *w, const struct mk_cidr *expected, size_t n)
{
	memset(w, 0, sizeof *w);
	w->n_expected = n < MK_EXIT_MAX_RULES ? n : MK_EXIT_MAX_RULES;
	memcpy(w->expected, expected, w->n_expected * sizeof *expected);
}

void mk_exit_watch_set_own(struct mk_exit_watch *w, const struct mk_ip *own, size_t n)
{
	w->n_own = 0;
	for (size_t i = 0; i < n && w->n_own < MK_EXIT_MAX_OWN; i++)
		if (!mk_ip_meaningless(&own[i]))
			w->own[w->n_own++] = own[i];
}

size_t mk_exit_own_addresses(struct mk_ip *own, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;
	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			mk_ip_from_bytes((const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4, &own[n++]);
		else if (i->ifa_addr->sa_family == AF_INET6)
			mk_ip_from_bytes(((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr, 16, &own[n++]);
	}
	freeifaddrs(ifa);
	return n;
}

static struct mk_exit_source *source_slot(struct mk_exit_watch *w, int kind, uint64_t id)
{
	size_t oldest = 0;
	for (size_t i = 0; i < w->n_src; i++) {
		if (w->src[i].kind == kind && w->src[i].id == id)
			return &w->src[i];
		if (w->src[i].seq < w->src[oldest].seq)
			oldest = i;
	}
	if (w->n_src < MK_EXIT_MAX_SOURCES)
		return &w->src[w->n_src++];
	return &w->src[oldest]; /* full: the oldest word is forgotten */
}

int mk_exit_watch_note(struct mk_exit_watch *w, int kind, uint64_t id, const uint8_t *addr, size_t len)
{
	struct mk_ip ip;
	if ((kind != MK_EXIT_SRC_PEER && kind != MK_EXIT_SRC_TRACKER) || mk_ip_from_bytes(addr, len, &ip) != 0)
		return -1;
	struct mk_exit_source *s = source_slot(w, kind, id);
	s->kind = (uint8_t)kind;
	s->id = id;
	s->ip = ip;
	s->seq = ++w->seq;
	return 0;
}

void mk_exit_watch_forget(struct mk_exit_watch *w)
{
	w->n_src = 0;
}

/* The sources whose latest word is ip; *second = the seq of the second
 * newest of them (when the address became confirmed, as of now). */
static struct mk_exit_view count_for(const struct mk_exit_watch *w, const struct mk_ip *ip, uint64_t *second)
{
	struct mk_exit_view v = { *ip, 0, 0 };
	uint64_t newest = 0, next = 0;
	for (size_t i = 0; i < w->n_src; i++) {
		const struct mk_exit_source *s = &w->src[i];
		if (!mk_ip_equal(&s->ip, ip))
			continue;
		if (s->kind == MK_EXIT_SRC_TRACKER)
			v.trackers++;
		else
			v.peers++;
		if (s->seq > newest) {
			next = newest;
			newest = s->seq;
		} else if (s->seq > next) {
			next = s->seq;
		}
	}
	*second = next;
	return v;
}

static bool is_own(const struct mk_exit_watch *w, const struct mk_ip *ip)
{
	for (size_t i = 0; i < w->n_own; i++)
		if (mk_ip_equal(&w->own[i], ip))
			return true;
	return false;
}

static bool is_expected(const struct mk_exit_watch *w, const struct mk_ip *ip)
{
	for (size_t i = 0; i < w->n_expected; i++)
		if (mk_cidr_match(&w->expected[i], ip))
			return true;
	return false;
}

enum mk_exit_verdict mk_exit_judge(struct mk_exit_watch *w, struct mk_exit_view *view)
{
	enum mk_exit_verdict worst = MK_EXITV_UNKNOWN;
	uint64_t newest_confirmed = 0;
	struct mk_exit_view newest = { { 0 }, 0, 0 };
	for (size_t i = 0; i < w->n_src; i++) {
		uint64_t second;
		struct mk_exit_view v = count_for(w, &w->src[i].ip, &second);
		if (v.peers + v.trackers < MK_EXIT_QUORUM)
			continue;
		enum mk_exit_verdict here = is_own(w, &v.ip) ? MK_EXITV_OWN
					  : w->n_expected && !is_expected(w, &v.ip) ? MK_EXITV_WRONG : MK_EXITV_RIGHT;
		if (here > worst || (here == worst && here != MK_EXITV_RIGHT && second > newest_confirmed)) {
			worst = here;
			*view = v;
		}
		if (second > newest_confirmed) {
			newest_confirmed = second;
			newest = v;
		}
	}
	if (worst != MK_EXITV_RIGHT)
		return worst; /* OWN / WRONG name their address; UNKNOWN: nothing confirmed */
	*view = newest;
	if (w->n_expected)
		return MK_EXITV_RIGHT;
	if (!w->have_first) {
		w->have_first = true;
		w->first = newest.ip;
	}
	return mk_ip_equal(&w->first, &newest.ip) ? MK_EXITV_RIGHT : MK_EXITV_CHANGED;
}

void mk_exit_watch_accept(struct mk_exit_watch *w, const struct mk_exit_view *v)
{
	w->have_first = true;
	w->first = v->ip;
}

void mk_exit_view_str(const struct mk_exit_view *v, char *buf, size_t len)
{
	char ip[MK_EXIT_IP_STR], who[48];
	mk_ip_str(&v->ip, ip, sizeof ip);
	if (v->trackers && v->peers)
		snprintf(who, sizeof who, "%s + %u peer%s", v->trackers == 1 ? "tracker" : "trackers", v->peers,
			 v->peers == 1 ? "" : "s");
	else if (v->trackers)
		snprintf(who, sizeof who, "%u tracker%s", v->trackers, v->trackers == 1 ? "" : "s");
	else
		snprintf(who, sizeof who, "%u peer%s", v->peers, v->peers == 1 ? "" : "s");
	snprintf(buf, len, "%s (%s)", ip, who);
}
