/*
 * proxy.c - the proxy record (proxy.h): from the config, for the engine,
 * onto the wire.
 *
 * Contract: see proxy.h. The engine behind the relay gets the relay's
 * address and nothing else of the proxy: no user, no password.
 */
#include "proxy.h"

void mk_proxy_from_config(struct mk_proxy *p, const struct mk_config *c)
{
	*p = (struct mk_proxy){ MEERKO__PROXY_TYPE__PROXY_NONE, "", 0, "", "" };
	if (c->proxy_type == MK_CFG_PROXY_NONE)
		return;
	p->type = c->proxy_user[0] ? MEERKO__PROXY_TYPE__PROXY_SOCKS5_PW : MEERKO__PROXY_TYPE__PROXY_SOCKS5;
	p->host = c->proxy_host;
	p->port = c->proxy_port;
	if (p->type == MEERKO__PROXY_TYPE__PROXY_SOCKS5_PW) {
		p->user = c->proxy_user;
		p->password = c->proxy_password;
	}
}

void mk_proxy_for_engine(struct mk_proxy *p, const struct mk_config *c, const char *relay_ip,
			 uint16_t relay_port)
{
	if (!relay_ip) {
		mk_proxy_from_config(p, c);
		return;
	}
	/* The relay authenticates upstream: the engine never holds the password. */
	*p = (struct mk_proxy){ MEERKO__PROXY_TYPE__PROXY_SOCKS5, relay_ip, relay_port, "", "" };
}

/* A zeroed record (no proxy chosen yet) packs as empty strings. */
static char *or_empty(const char *s)
{
	return (char *)(s ? s : "");
}

void mk_proxy_to_configure(const struct mk_proxy *p, Meerko__Configure *cf)
{
	cf->proxy_type = p->type;
	cf->proxy_host = or_empty(p->host);
	cf->proxy_port = p->port;
	cf->proxy_user = or_empty(p->user);
	cf->proxy_password = or_empty(p->password);
}
