/*
 * sandbox_check.c - report each sandbox layer (see sandbox_check.h).
 *
 * Required layers: network, mount, PID, UTS and IPC namespaces, relay
 * listener, capabilities dropped, no_new_privs, seccomp. Landlock is
 * reported with its ABI but optional (kernels before 5.13 lack it; the
 * mount namespace then still hides the user's files); the user namespace
 * is required only when not root.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_msg.h"
#include "engine_stderr.h"
#include "exitcodes.h"
#include "ipc.h"
#include "proxy.h"
#include "rlimits.h"
#include "relay.h"
#include "sandbox.h"
#include "sandbox_check.h"
#include "sandbox_verify.h"
#include "spawn.h"
#include "userns_diag.h"

static void line(FILE *out, const char *layer, bool ok, const char *note)
{
	fprintf(out, "%-18s %s%s%s\n", layer, ok ? "active" : "UNAVAILABLE", note[0] ? "  " : "", note);
}

static Meerko__EngineToBroker *ask_ready(int fd)
{
	Meerko__Configure cf = MEERKO__CONFIGURE__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	struct mk_proxy relay;
	mk_proxy_for_engine(&relay, NULL, MK_RELAY_INSIDE_IP, MK_RELAY_INSIDE_PORT);
	mk_proxy_to_configure(&relay, &cf);
	cf.anonymous_mode = true;
	cf.status_interval_ms = 1000;
	cf.listen_interfaces = (char *)"127.0.0.1:0";
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_CONFIGURE;
	m.configure = &cf;
	if (mk_ipc_send_b2e(fd, &m) != MK_FRAME_OK)
		return NULL;
	uint8_t *buf;
	size_t len;
	if (mk_frame_read_blocking(fd, 10000, &buf, &len) != MK_FRAME_OK)
		return NULL;
	Meerko__EngineToBroker *r = mk_ipc_unpack_e2b(buf, len);
	free(buf);
	struct mk_torrent_set none = { .n = 0 };
	char why[128];
	if (r && (r->msg_case != MEERKO__ENGINE_TO_BROKER__MSG_READY ||
		  mk_engine_msg_check(&none, r, why, sizeof why) != 0)) {
		mk_ipc_free_e2b(r);
		return NULL;
	}
	return r;
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* The engine is gone: what it wrote to stderr, sanitised (engine_stderr.h). */
static void show_engine_stderr(struct mk_engine_proc *p)
{
	struct mk_estderr e;
	mk_estderr_init(&e, print_line, NULL, 0);
	mk_estderr_read(&e, p->stderr_fd, 0);
	mk_estderr_finish(&e, 0);
	close(p->stderr_fd);
}

static void stop_engine(struct mk_engine_proc *p)
{
	Meerko__Shutdown sd = MEERKO__SHUTDOWN__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_SHUTDOWN;
	m.shutdown = &sd;
	mk_ipc_send_b2e(p->fd, &m);
	int ws;
	mk_reap_bounded(p->pid, 5000, &ws); /* never a kill of a pid already reaped */
	close(p->fd);
	show_engine_stderr(p);
}

static int report_engine(FILE *out, const Meerko__Ready *r)
{
	char note[160];
	line(out, "capabilities", r->caps_dropped, r->caps_dropped ? "all sets empty, bounding set empty" : "");
	line(out, "no_new_privs", r->no_new_privs, "");
	line(out, "seccomp", r->seccomp, r->seccomp ? "allowlist from policy/, default kill" : "");
	snprintf(note, sizeof note, "ABI %d%s%s", r->landlock_abi, r->landlock_note[0] ? ": " : "",
		 r->landlock_note);
	line(out, "landlock", r->landlock, r->landlock ? note : r->landlock_note);
	return r->caps_dropped && r->no_new_privs && r->seccomp;
}

/* One line per namespace, as the engine saw them (sandbox_verify.c). */
static int report_namespaces(FILE *out, const struct mk_sandbox *sb, const Meerko__Ready *r)
{
	struct mk_ns_verdict v[MK_NS_LAYERS];
	int ok = 1;
	mk_sandbox_verify(r, sb->userns, v);
	for (size_t i = 0; i < MK_NS_LAYERS; i++) {
		if (!v[i].required) {
			fprintf(out, "%-18s not used  started as root: the engine runs as uid %u\n",
				v[i].layer, (unsigned)sb->uid);
			continue;
		}
		line(out, v[i].layer, v[i].ok, v[i].what);
		ok &= v[i].ok;
	}
	line(out, "relay", true, "the only way out: 127.0.0.1:1080 (TCP, UDP) inside -> your proxy");
	return ok;
}

/* The engine as a run starts it: with its resource limits (rlimits.h). */
static int spawn_limited(const char *engine, const struct mk_sandbox *sb, struct mk_engine_limits *lim,
			 struct mk_engine_proc *p, char *err, size_t errlen)
{
	mk_limits_plan(lim, sb, MK_ENGINE_MEMORY_MB_DEFAULT, mk_relay_conn_cap() + MK_RELAY_THREADS_FIXED);
	return mk_engine_spawn(engine, sb, lim, p, err, errlen);
}

/* A confined engine that answered has applied them: it refuses to run
 * when it cannot. */
static void report_limits(FILE *out, const struct mk_engine_limits *lim)
{
	char note[200];
	snprintf(note, sizeof note, "RLIMIT_NPROC %llu, RLIMIT_DATA %llu MiB (default), RLIMIT_FSIZE "
		 "%llu MiB until the file list, %d relay connections", (unsigned long long)lim->tasks,
		 (unsigned long long)(lim->data_bytes >> 20), (unsigned long long)(lim->fsize >> 20),
		 mk_relay_conn_cap());
	line(out, "resource limits", true, note);
}

int mk_sandbox_check(FILE *out)
{
	char err[512], engine[4096], dir[] = "/tmp/meerko-check-XXXXXX";
	struct mk_sandbox sb;
	struct mk_engine_limits lim;
	struct mk_engine_proc p;
	if (!mkdtemp(dir)) {
		fprintf(out, "cannot make a scratch dir: %m\n");
		return MK_EXIT_INTERNAL;
	}
	int ok = 0;
	if (mk_engine_path(engine, sizeof engine, err, sizeof err) != 0 ||
	    mk_sandbox_plan(&sb, dir, err, sizeof err) != 0) {
		fprintf(out, "%s\n", err);
	} else if (geteuid() == 0 && chown(dir, sb.uid, sb.gid) != 0) {
		snprintf(err, sizeof err, "cannot give the scratch dir to uid %u: %s", (unsigned)sb.uid,
			 strerror(errno));
		fprintf(out, "%s\n", err);
	} else if (spawn_limited(engine, &sb, &lim, &p, err, sizeof err) != 0) {
		if (sb.userns)
			mk_userns_explain(err, sizeof err);
		line(out, sb.userns ? "user namespace" : "network namespace", false, err);
	} else {
		close(p.relay_listen_fd);
		close(p.relay_udp_fd);
		Meerko__EngineToBroker *r = ask_ready(p.fd);
		if (!r)
			line(out, "engine", false, "did not report its confinement");
		else
			ok = report_namespaces(out, &sb, r->ready) & report_engine(out, r->ready);
		if (ok)
			report_limits(out, &lim);
		mk_ipc_free_e2b(r);
		stop_engine(&p);
	}
	rmdir(dir);
	fprintf(out, "%s\n", ok ? "sandbox: all required layers active" : "sandbox: a required layer is missing");
	return ok ? MK_EXIT_OK : MK_EXIT_SANDBOX;
}
