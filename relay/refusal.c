/*
 * refusal.c - a destination the relay's policy refused, said once (see
 * refusal.h).
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dest_policy.h"
#include "refusal.h"
#include "sanitize.h"
#include "socks5_server.h"

static atomic_ulong g_refused[2]; /* by enum mk_relay_refusal */

void mk_relay_refused(enum mk_relay_refusal kind, uint8_t atyp, const uint8_t *ip,
		      const char *name, uint16_t port, const char *why)
{
	if (why == mk_dest_why_proxy || atomic_fetch_add(&g_refused[kind], 1) != 0)
		return;
	char dest[INET6_ADDRSTRLEN + 80];
	if (atyp == MK_SOCKS5_ATYP_DOMAIN)
		mk_sanitize(name, strnlen(name, 64), dest, sizeof dest);
	else
		inet_ntop(atyp == MK_SOCKS5_ATYP_IPV6 ? AF_INET6 : AF_INET, ip, dest, sizeof dest);
	fprintf(stderr, "meerko-secure: note: the relay refused %s %s port %u: %s (shown once; "
		"[proxy] allow_private_destinations)\n",
		kind == MK_RELAY_REFUSED_CONNECT ? "a connection to" : "a datagram to", dest,
		(unsigned)port, why);
}
