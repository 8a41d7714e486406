/*
 * dest_policy.c - THE destination policy of the relay (see dest_policy.h).
 *
 * How to read the tables:
 *   V4(a, b, c, d, len, why)   refuse a.b.c.d/len
 *   V6(16 bytes, len, why)     refuse that IPv6 prefix
 *   NAME(suffix, why)          refuse the name suffix and every name under it
 * An IPv6 address in ::ffff:0:0/96 (IPv4-mapped) or 64:ff9b::/96 (NAT64,
 * RFC 6052) is checked as the IPv4 address in its last 4 bytes: both reach
 * that IPv4 host. The first matching row gives the reason, so a narrow row
 * stands before the wide one that contains it (255.255.255.255 before
 * 240/4). Everything not listed is global unicast and passes, except the
 * proxy's own address.
 */
#include "dest_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define V4(a, b, c, d, l, w) { false, { a, b, c, d }, l, w }
#define V6(l, w, ...) { true, { __VA_ARGS__ }, l, w }

static const struct mk_dest_range ranges[] = {
	V4(0, 0, 0, 0, 8, "'this network' (RFC 791)"),
	V4(10, 0, 0, 0, 8, "a private network (RFC 1918)"),
	V4(100, 64, 0, 0, 10, "carrier-grade NAT space (RFC 6598)"),
	V4(127, 0, 0, 0, 8, "loopback (RFC 1122)"),
	V4(169, 254, 0, 0, 16, "link-local (RFC 3927)"),
	V4(172, 16, 0, 0, 12, "a private network (RFC 1918)"),
	V4(192, 0, 0, 0, 24, "IETF protocol assignments (RFC 6890)"),
	V4(192, 168, 0, 0, 16, "a private network (RFC 1918)"),
	V4(198, 18, 0, 0, 15, "benchmarking space (RFC 2544)"),
	V4(255, 255, 255, 255, 32, "limited broadcast (RFC 919)"),
	V4(224, 0, 0, 0, 4, "multicast (RFC 5771)"),
	V4(240, 0, 0, 0, 4, "reserved (RFC 1112)"),
	V6(128, "the unspecified address (RFC 4291)", 0),
	V6(128, "loopback (RFC 4291)", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
	V6(96, "IPv4-compatible, deprecated (RFC 4291)", 0),
	V6(7, "unique local (RFC 4193)", 0xfc),
	V6(10, "link-local (RFC 4291)", 0xfe, 0x80),
	V6(8, "multicast (RFC 4291)", 0xff),
	V6(48, "local-use NAT64 (RFC 8215)", 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01),
};

#define NRANGES (sizeof ranges / sizeof ranges[0])

struct name_rule {
	const char *suffix;
	const char *why;
};

static const struct name_rule local_names[] = {
	{ "localhost", "a loopback name (RFC 6761)" },
	{ "localdomain", "a local-only name (/etc/hosts convention)" },
	{ "local", "a multicast DNS name (RFC 6762)" },
	{ "home.arpa", "a home-network name (RFC 8375)" },
	{ "arpa", "an infrastructure name (reverse lookups)" },
	{ "internal", "a private-use name (ICANN, 2024)" },
	{ "lan", "a private-use name (RFC 6762 appendix G)" },
	{ "home", "a private-use name (RFC 6762 appendix G)" },
	{ "corp", "a private-use name (RFC 6762 appendix G)" },
	{ "intranet", "a private-use name (RFC 6762 appendix G)" },
	{ "private", "a private-use name (RFC 6762 appendix G)" },
};

#define NNAMES (sizeof local_names / sizeof local_names[0])

const char mk_dest_why_proxy[] = "the proxy's own address";

size_t mk_dest_range_count(void)
{
	return NRANGES;
}

const struct mk_dest_range *mk_dest_range_at(size_t i)
{
	return i < NRANGES ? &ranges[i] : NULL;
}

static bool in_prefix(const uint8_t *ip, const uint8_t *prefix, unsigned len)
{
	unsigned whole = len / 8, rest = len % 8;
	if (memcmp(ip, prefix, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (ip[whole] & mask) == (prefix[whole] & mask);
}

/* The IPv4 address an IPv6 one stands for (mapped or NAT64), if any. */
static const uint8_t *embedded_v4(const uint8_t ip[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	return memcmp(ip, mapped, 12) == 0 || memcmp(ip, nat64, 12) == 0 ? ip + 12 : NULL;
}

/* 16 bytes for comparing with the proxy: IPv4 becomes ::ffff:a.b.c.d. */
static void canonical(const uint8_t *ip, bool is_v6, uint8_t out[16])
{
	const uint8_t *v4 = is_v6 ? embedded_v4(ip) : ip;
	memset(out, 0, 16);
	if (v4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
	} else {
		memcpy(out, ip, 16);
	}
}

static const char *range_of(const uint8_t *ip, bool is_v6)
{
	for (size_t i = 0; i < NRANGES; i++)
		if (ranges[i].is_v6 == is_v6 && in_prefix(ip, ranges[i].prefix, ranges[i].len))
			return ranges[i].why;
	return NULL;
}

int mk_dest_policy_init(struct mk_dest_policy *p, const char *proxy_ip, bool allow_private)
{
	uint8_t b[16];
	memset(p, 0, sizeof *p);
	p->allow_private = allow_private;
	if (proxy_ip == NULL)
		return 0;
	if (inet_pton(AF_INET, proxy_ip, b) == 1)
		canonical(b, false, p->proxy_ip);
	else if (inet_pton(AF_INET6, proxy_ip, b) == 1)
		canonical(b, true, p->proxy_ip);
	else
		return -1;
	p->have_proxy = true;
	return 0;
}

const char *mk_dest_check_ip(const struct mk_dest_policy *p, const uint8_t *ip, bool is_v6)
{
	uint8_t c[16];
	canonical(ip, is_v6, c);
	if (p->have_proxy && memcmp(c, p->proxy_ip, 16) == 0)
		return mk_dest_why_proxy;
	if (p->allow_private)
		return NULL;
	const uint8_t *v4 = is_v6 ? embedded_v4(ip) : ip;
	return v4 ? range_of(v4, false) : range_of(ip, true);
}

/* ------------------------------------------------------------- names */

static bool host_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

static bool empty_label(const char *s)
{
	return s[0] == '.' || strstr(s, "..") != NULL || s[strlen(s) - 1] == '.';
}

static bool numeric_last_label(const char *s)
{
	const char *last = strrchr(s, '.');
	last = last ? last + 1 : s;
	return strspn(last, "0123456789") == strlen(last);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n == k ? strcmp(s, suffix) == 0
		      : n > k && s[n - k - 1] == '.' && strcmp(s + n - k, suffix) == 0;
}

/* "[v6]" or "v6": the predicate on the address; any other ':' is refused. */
static const char *check_v6_name(const struct mk_dest_policy *p, char *s)
{
	size_t n = strlen(s);
	uint8_t b[16];
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s[n - 1] = '\0';
		s++;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return "not a host name (':' without an IPv6 address)";
	return mk_dest_check_ip(p, b, true);
}

const char *mk_dest_check_name(const struct mk_dest_policy *p, const char *name)
{
	char s[256];
	size_t n = strlen(name);
	uint8_t b[4];
	struct in_addr any;
	if (n == 0 || n >= sizeof s)
		return "not a host name (length)";
	for (size_t i = 0; i <= n; i++)
		s[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0'; /* "localhost." is "localhost" */
	if (strchr(s, ':'))
		return check_v6_name(p, s);
	if (!host_chars(s) || empty_label(s))
		return "not a host name (characters or empty label)";
	if (inet_pton(AF_INET, s, b) == 1)
		return mk_dest_check_ip(p, b, false);
	if (inet_aton(s, &any) != 0)
		return "an IP address in disguise (octal, hex or short form)";
	if (numeric_last_label(s))
		return "an IP address in disguise (numeric last label)";
	if (p->allow_private)
		return NULL;
	if (strchr(s, '.') == NULL)
		return "a single-label name (resolved in the proxy's local network)";
	for (size_t i = 0; i < NNAMES; i++)
		if (has_suffix(s, local_names[i].suffix))
			return local_names[i].why;
	return NULL;
}

const char *mk_dest_check(const struct mk_dest_policy *p, uint8_t atyp, const uint8_t *ip,
			  const char *name)
{
	if (atyp == 3)
		return mk_dest_check_name(p, name);
	return mk_dest_check_ip(p, ip, atyp == 4);
}
