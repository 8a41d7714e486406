/*
 * sandbox_verify.c - the engine's namespaces, checked by the broker (see
 * sandbox_verify.h). One row per namespace: which /proc/self/ns entry,
 * where the engine's id is in Ready, and what the layer gives the user.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_verify.h"

static const struct {
	const char *layer;
	const char *proc_name;   /* /proc/self/ns/NAME */
	size_t ready_offset;     /* the engine's id in Meerko__Ready */
	bool userns_only;        /* required only on the unprivileged path */
	const char *what;
} layers[MK_NS_LAYERS] = {
	{ "user namespace", "user", offsetof(Meerko__Ready, ns_user), true,
	  "unprivileged: the engine's uid is mapped to itself, no other id exists" },
	{ "network namespace", "net", offsetof(Meerko__Ready, ns_net), false,
	  "only lo: the relay at 127.0.0.1:1080 (TCP, UDP) is the one way out" },
	{ "mount namespace", "mnt", offsetof(Meerko__Ready, ns_mnt), false,
	  "own read-only root: system libraries, CA certificates, the save dir at /data" },
	{ "pid namespace", "pid", offsetof(Meerko__Ready, ns_pid), false,
	  "the engine is pid 2 under the sandbox's init and sees no other process" },
	{ "uts namespace", "uts", offsetof(Meerko__Ready, ns_uts), false,
	  "host name 'meerko': the machine's name stays out" },
	{ "ipc namespace", "ipc", offsetof(Meerko__Ready, ns_ipc), false,
	  "no System V IPC or POSIX message queue of the host" },
};

static uint64_t own_ns(const char *name)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

void mk_sandbox_verify(const Meerko__Ready *r, bool userns, struct mk_ns_verdict out[MK_NS_LAYERS])
{
	for (size_t i = 0; i < MK_NS_LAYERS; i++) {
		uint64_t theirs;
		memcpy(&theirs, (const char *)r + layers[i].ready_offset, sizeof theirs);
		uint64_t ours = own_ns(layers[i].proc_name);
		out[i].layer = layers[i].layer;
		out[i].required = !layers[i].userns_only || userns;
		out[i].ok = theirs != 0 && ours != 0 && theirs != ours;
		if (strcmp(layers[i].proc_name, "pid") == 0)
			out[i].ok = out[i].ok && r->own_pid == 2; /* 1 is the sandbox's init */
		out[i].what = layers[i].what;
	}
}

int mk_sandbox_verify_required(const Meerko__Ready *r, bool userns, char *why, size_t whylen)
{
	struct mk_ns_verdict v[MK_NS_LAYERS];
	mk_sandbox_verify(r, userns, v);
	for (size_t i = 0; i < MK_NS_LAYERS; i++) {
		if (v[i].required && !v[i].ok) {
			snprintf(why, whylen, "the engine is not in a %s of its own: refusing to run it",
				 v[i].layer);
			return -1;
		}
	}
	return 0;
}
