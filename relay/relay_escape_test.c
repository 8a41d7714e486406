/*
 * relay_escape_test.c - TEST-ONLY escape attempts of a compromised relay
 * (see relay_escape_test.h). Compiled only into meerko-secure-relay-escape.
 *
 * Attempts, by NAME in "meerko-relay-escape-NAME.invalid":
 *   execve    run /bin/sh                          -> killed (SIGSYS)
 *   ptrace    PTRACE_ATTACH to the broker           -> killed
 *   packet    socket(AF_PACKET, SOCK_RAW): sniff lo  -> killed
 *   unix      socket(AF_UNIX): reach local daemons  -> killed
 *   open      open /etc/passwd                      -> killed
 * An attempt that returns (blocked some other way, or not blocked at all)
 * writes "FATAL escape NAME succeeded (...)" to the status pipe and exits:
 * the broker prints that line and restarts the relay, so the run does not
 * end with the confinement line and exit 7, and the test fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay_escape_test.h"

#define PREFIX "meerko-relay-escape-"
#define SUFFIX ".invalid"

static long try_named(const char *name)
{
	if (strcmp(name, "execve") == 0) {
		char *argv[] = { "/bin/sh", "-c", "true", NULL };
		return execve("/bin/sh", argv, (char *[]){ NULL });
	}
	if (strcmp(name, "ptrace") == 0)
		return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
	if (strcmp(name, "packet") == 0)
		return socket(AF_PACKET, SOCK_RAW, 0);
	if (strcmp(name, "unix") == 0)
		return socket(AF_UNIX, SOCK_STREAM, 0);
	if (strcmp(name, "open") == 0)
		return open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	return -2;
}

void mk_relay_escape_try(const struct mk_socks5_request *req, int status_fd)
{
	size_t lp = strlen(PREFIX), ls = strlen(SUFFIX);
	if (req->atyp != MK_SOCKS5_ATYP_DOMAIN || req->host_len <= lp + ls ||
	    strncmp(req->host, PREFIX, lp) != 0 || strcmp(req->host + req->host_len - ls, SUFFIX) != 0)
		return;
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(req->host_len - lp - ls), req->host + lp);
	long r = try_named(name);
	if (r == -2)
		return; /* not an attempt this build knows */
	char line[160];
	int n = snprintf(line, sizeof line, "FATAL escape %s succeeded (returned %ld, errno %d)\n", name, r,
			 r < 0 ? errno : 0);
	if (n > 0)
		(void)write(status_fd, line, (size_t)n);
	_exit(1);
}

bool mk_relay_escape_unconfined(void)
{
	const char *v = getenv("MEERKO_RELAY_ESCAPE_UNCONFINED");
	return v && strcmp(v, "1") == 0;
}
