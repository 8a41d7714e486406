/*
 * rpc_config.c - `[rpc] listen` and `host_allowlist` parsing, the remote
 * rule, and the settings the daemon serves with (see rpc_config.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_config.h"

/* "65535" -> 65535; anything but 1..65535 in plain digits -> 0. */
static uint16_t port_of(const char *s)
{
	long v = 0;
	size_t i = 0;
	for (; isdigit((unsigned char)s[i]) && i < 5; i++)
		v = v * 10 + (s[i] - '0');
	return (i == 0 || s[i] != '\0' || s[0] == '0' || v > 65535) ? 0 : (uint16_t)v;
}

static int listen_unix(const char *s, struct mk_rpc_listen *out, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->addr;
	size_t n = strlen(s);
	if (n >= sizeof sun->sun_path || s[n - 1] == '/') {
		snprintf(err, errlen, "a UNIX socket path must name a file and be shorter than %zu bytes",
			 sizeof sun->sun_path);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, n + 1);
	memcpy(out->path, s, n + 1);
	out->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	out->is_unix = out->loopback = true;
	return 0;
}

static void classify_v4(struct mk_rpc_listen *out, const struct in_addr *a)
{
	uint32_t h = ntohl(a->s_addr);
	out->loopback = (h >> 24) == 127;
	out->wildcard = h == 0;
}

static void classify_v6(struct mk_rpc_listen *out, const struct in6_addr *a)
{
	out->loopback = IN6_IS_ADDR_LOOPBACK(a);
	out->wildcard = IN6_IS_ADDR_UNSPECIFIED(a);
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		struct in_addr v4;
		memcpy(&v4, &a->s6_addr[12], 4);
		classify_v4(out, &v4);
	}
}

/* host (no brackets) and port text -> addr; -1 when not an IP literal. */
static int listen_ip(const char *host, const char *port, struct mk_rpc_listen *out)
{
	uint16_t p = port_of(port);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (p == 0 || strlen(host) >= sizeof out->host)
		return -1;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(p);
		out->addr_len = sizeof *v4;
		classify_v4(out, &v4->sin_addr);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p);
		out->addr_len = sizeof *v6;
		classify_v6(out, &v6->sin6_addr);
	} else {
		return -1;
	}
	snprintf(out->host, sizeof out->host, "%s", host);
	return 0;
}

int mk_rpc_listen_parse(const char *s, struct mk_rpc_listen *out, char *err, size_t errlen)
{
	char host[64];
	memset(out, 0, sizeof *out);
	if (s[0] == '/')
		return listen_unix(s, out, err, errlen);
	const char *colon = s[0] == '[' ? strstr(s, "]:") : strrchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) - (s[0] == '[') : 0;
	const char *port = colon ? colon + 1 + (s[0] == '[') : "";
	if (colon && hl < sizeof host) {
		memcpy(host, s + (s[0] == '['), hl);
		host[hl] = '\0';
		if ((s[0] == '[') == (strchr(host, ':') != NULL) && listen_ip(host, port, out) == 0)
			return 0;
	}
	snprintf(err, errlen, "not IPv4:PORT, [IPv6]:PORT or an absolute UNIX socket path "
		 "(host names are refused: they would be resolved outside the proxy)");
	return -1;
}

/* A Host header name: letters, digits, '.', '-', '_' or (IPv6) ':'. */
static bool host_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_:", s[i]))
			return false;
	return n > 0 && n <= MK_RPC_HOST_MAX;
}

int mk_rpc_hosts_parse(const char *s, char hosts[][MK_RPC_HOST_MAX + 1], size_t max, size_t *n,
		       char *err, size_t errlen)
{
	*n = 0;
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		if (!host_chars_ok(s, len) || *n >= max) {
			snprintf(err, errlen, *n >= max ? "more than %zu host names" :
				 "not a comma-separated list of host names (no port, no brackets, at most %zu)", max);
			return -1;
		}
		memcpy(hosts[*n], s, len);
		hosts[(*n)++][len] = '\0';
		s += len;
		if (*s == ',' && *++s == '\0') {
			snprintf(err, errlen, "ends with a comma");
			return -1;
		}
	}
	return 0;
}

int mk_rpc_config_check(const struct mk_config *c, char *err, size_t errlen)
{
	struct mk_rpc_listen l;
	char why[160];
	if (mk_rpc_listen_parse(c->rpc_listen, &l, why, sizeof why) != 0) {
		snprintf(err, errlen, "[rpc] listen: %s", why);
		return -1;
	}
	if (!l.loopback && !c->rpc_allow_remote) {
		snprintf(err, errlen, "[rpc] listen = %s is not a loopback address: the RPC would be "
			 "reachable from the network; set [rpc] allow_remote = true if that is meant", l.host);
		return -1;
	}
	if (l.wildcard && c->rpc_host_allowlist[0] == '\0') {
		snprintf(err, errlen, "[rpc] listen = %s has no name of its own: set [rpc] host_allowlist "
			 "to the names clients use to reach it", l.host);
		return -1;
	}
	return 0;
}

/* Empty allowlist: the listen address (unless a UNIX path) and localhost. */
static void default_hosts(struct mk_rpc_settings *out)
{
	out->n_hosts = 0;
	if (!out->listen.is_unix)
		snprintf(out->hosts[out->n_hosts++], MK_RPC_HOST_MAX + 1, "%s", out->listen.host);
	snprintf(out->hosts[out->n_hosts++], MK_RPC_HOST_MAX + 1, "localhost");
}

int mk_rpc_resolve(const struct mk_config *c, struct mk_rpc_settings *out, char *err, size_t errlen)
{
	char why[160];
	memset(out, 0, sizeof *out);
	if (mk_rpc_config_check(c, err, errlen) != 0)
		return -1;
	mk_rpc_listen_parse(c->rpc_listen, &out->listen, why, sizeof why);
	if (c->rpc_host_allowlist[0] == '\0')
		default_hosts(out);
	else if (mk_rpc_hosts_parse(c->rpc_host_allowlist, out->hosts, MK_RPC_MAX_HOSTS, &out->n_hosts,
				    why, sizeof why) != 0) {
		snprintf(err, errlen, "[rpc] host_allowlist: %s", why);
		return -1;
	}
	if (c->rpc_user[0] == '\0' || c->rpc_password[0] == '\0') {
		snprintf(err, errlen, "the daemon needs [rpc] username and [rpc] password (or password_file): "
			 "the RPC always asks for them, also on loopback");
		return -1;
	}
	out->max_body = (uint32_t)c->rpc_max_body_mib << 20;
	out->username = c->rpc_user;
	out->password = c->rpc_password;
	return 0;
}
