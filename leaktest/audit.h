/*
 * audit.h - `meerko-leaktest audit`: run the user's own command while
 * capturing on this host, and flag what left it for anything but the proxy.
 *
 *   meerko-leaktest audit --proxy IP:PORT [--allow ADDR]... [-i IFACE]
 *                         [--pcap FILE] [--timeout SEC] [--json[=FILE]]
 *                         [--no-identity] [-v] -- COMMAND [ARGS...]
 *
 * Contract: the capture (libpcap, interface "any" unless -i) is active
 * before COMMAND starts and ends a second after it exits. Every packet
 * this host sent is classified (classify.h) with the proxy's address (and
 * --allow addresses) allowed; what went to the proxy's port is scanned as
 * SOCKS5 streams for the host's addresses, hostname, user name and client
 * identity (scan.h). COMMAND inherits stdin/stdout/stderr; SIGINT and
 * SIGTERM are passed on to it. Returns the tool's exit code (0 clean,
 * 1 leak, 2 could not run); COMMAND's own exit code is in the report.
 * Limits (also printed): it sees this network namespace only, so traffic
 * of a sandboxed engine is seen where it leaves the namespace (the
 * broker's relay); every other program's traffic on the host during the
 * run shows up too; loopback traffic to anything but the proxy is local,
 * except DNS, which counts as a leak because a local resolver forwards it.
 */
#ifndef MEERKO_LEAKTEST_AUDIT_H
#define MEERKO_LEAKTEST_AUDIT_H

int lt_audit_main(int argc, char **argv);

#endif
