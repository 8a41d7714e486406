/*
 * relay_udp.h - SOCKS5 UDP ASSOCIATE through the broker's relay.
 *
 * Contract: the relay process (relay.c) owns one UDP socket bound to
 * 127.0.0.1:<relay port> *inside* the engine's network namespace. When the
 * engine asks for UDP ASSOCIATE on one of its TCP connections to the relay,
 * mk_relay_udp_associate() takes a slot in its table (a full table costs
 * the proxy nothing), then opens an authenticated association with the real
 * proxy (from outside), answers the engine with BND = that inside socket
 * (never the proxy's BND; libtorrent 2.0.8 sends to BND as given, so it
 * cannot be zero),
 * and hands the association to the relay's one UDP thread
 * (mk_relay_udp_thread), which then forwards datagrams both ways:
 *  - engine -> proxy: only from the engine address of that association
 *    (given in its request, else the first datagram's source), only with a
 *    valid header (RSV 0, FRAG 0 - fragments are dropped -, known ATYP,
 *    lengths; mk_socks5_parse_udp_header), only to a destination that
 *    passes dest_policy.h (global unicast, not the proxy, no local name;
 *    refused datagrams are dropped and counted: mk_relay_refused), sent
 *    only to the proxy's UDP relay address (the first hop; the header's
 *    DST is the second), with the client version taken out of DHT messages
 *    (dht_scrub.h; libtorrent 2.0.8 sends it even in anonymous mode) and
 *    DHT messages that are not canonical bencode dropped;
 *  - proxy -> engine: only from the proxy's UDP relay address (the outside
 *    socket is connect()ed to it, and the source is checked again), only
 *    with a valid header, sent only to the association's engine address.
 * An association ends when either TCP control connection (engine's or the
 * proxy's) closes or carries any byte. At most MK_RELAY_UDP_MAX_ASSOC exist.
 * Payload is otherwise never interpreted; buffers are fixed (one datagram).
 */
#ifndef MEERKO_RELAY_RELAY_UDP_H
#define MEERKO_RELAY_RELAY_UDP_H

#include <stdint.h>

#include "dest_policy.h"
#include "socks5_server.h"

#define MK_RELAY_UDP_MAX_ASSOC 8

/* Takes ownership of inside_fd (the UDP socket inside the namespace);
 * policy must outlive the thread. Returns 0, or -1 with errno (eventfd).
 * Call once, before any thread. */
int mk_relay_udp_init(int inside_fd, const struct mk_dest_policy *policy);

/* How many datagrams from the engine were dropped as non-canonical DHT
 * messages (mk_dht_scrub: MK_DHT_DROP) since the relay started. */
uint64_t mk_relay_udp_dht_dropped(void);

/* The UDP thread's body: never returns. */
void *mk_relay_udp_thread(void *arg);

/* Called by a connection thread after the engine's request req (CMD 3) on
 * efd. Once a table slot is reserved, open_upstream(ctx) gives a connection
 * to the real proxy that passed authentication (or -1). Returns 1 when efd
 * (and that connection) now belong to the UDP thread (the caller must not
 * touch efd again), 0 when the engine got a failure reply and the caller
 * closes efd (the upstream connection, if any, is already closed). */
int mk_relay_udp_associate(int efd, const struct mk_socks5_request *req,
			   int (*open_upstream)(void *ctx), void *ctx);

#endif
