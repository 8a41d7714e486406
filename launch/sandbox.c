/*
 * sandbox.c - the engine's namespaces and filesystem view (see sandbox.h).
 *
 * spawn.c creates the child with one clone(): new network, mount, PID, UTS
 * and IPC namespaces, and a new user namespace when not root. Order in the
 * child from there, and why:
 *   1. (userns) write setgroups=deny, uid_map and gid_map: a 1:1 map of our
 *      own ids, so files the engine writes belong to the user (dumpable for
 *      these three writes only, see map_ids).
 *   2. bring `lo` up and bind the relay listener (TCP) and the relay's UDP
 *      socket on 127.0.0.1 inside: these are the one door out; the broker's
 *      relay owns the other side of both. From the clone on, no socket this
 *      process or its descendants open can reach any interface of the host.
 *   3. hostname "meerko": uname() in the engine no longer names the machine.
 *   4. the filesystem view (sandbox_fs.c): a read-only tmpfs root with only
 *      system libraries, CA certificates, two device nodes, a /proc of the
 *      engine's own PID namespace, its binary, and the save dir at /data.
 *   5. (root) switch to the unprivileged uid/gid (the save dir's ordinary
 *      owner, SUDO_UID or nobody: mk_sandbox_engine_ids), dropping supplementary
 *      groups and the bounding set (capng_change_id); (userns) clear every
 *      capability set including bounding and ambient.
 *   6. check /data is writable by who the engine now is, then report.
 * The engine applies its own layers (Landlock, seccomp) after exec.
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_fs.h"
#include "savedir_owner.h"

/* As root, the engine runs as the save dir's owner when that is an ordinary
 * user, so the files belong to whoever owns the folder; a root-owned (or
 * system-owned) save dir keeps the choice below, never root itself. Why this
 * is safe: a compromised engine then holds that uid, but only inside what
 * confines it whatever its uid: its own PID namespace (no process of the
 * user is visible, so kill, ptrace, setpriority(PRIO_USER) and
 * ioprio_set(IOPRIO_WHO_USER) reach none of them; seccomp kills ptrace,
 * process_vm_*, pidfd_*, kill and tgkill to another process anyway), its own
 * network namespace (no abstract unix socket of the user's session bus or
 * agents), its own IPC namespace (no SysV/POSIX IPC of theirs), a mount
 * namespace holding only system files and the save dir (not the user's home),
 * Landlock (writes below the save dir only), no capability, no_new_privs, and
 * non-dumpable (engine_confine.c; seccomp forbids undoing it), so the user's
 * other processes cannot ptrace it either. Uid-wide kernel state stays out of
 * reach too: seccomp kills keyctl, add_key and request_key (the user's
 * keyrings), and refuses creating a setuid/setgid file (openat's mode), which
 * as that uid would let anyone who can reach the folder become the user.
 * RLIMIT_NPROC counts the uid's tasks on the whole machine; rlimits.c counts
 * them at start. The relay keeps the rule without the owner: it holds the
 * proxy password, which is root's, not the folder owner's. */
static int root_ids(struct mk_engine_ids *ids, char *err, size_t errlen)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	if (su && sg && atoi(su) > 0 && atoi(sg) > 0) {
		ids->uid = (uid_t)atoi(su);
		ids->gid = (gid_t)atoi(sg);
		return 0;
	}
	struct passwd *pw = getpwnam("nobody");
	if (!pw) {
		snprintf(err, errlen, "running as root, but there is no 'nobody' user to run the engine as");
		return -1;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	return 0;
}

int mk_sandbox_engine_ids(const char *save_dir, struct mk_engine_ids *ids, char *err, size_t errlen)
{
	memset(ids, 0, sizeof *ids);
	if (geteuid() != 0) {
		ids->userns = true;
		ids->uid = geteuid();
		ids->gid = getegid();
		return 0;
	}
	if (mk_savedir_owner(save_dir, &ids->uid, &ids->gid, ids->owner, sizeof ids->owner) == 1)
		return 0;
	ids->owner[0] = '\0';
	return root_ids(ids, err, errlen);
}

int mk_sandbox_plan(struct mk_sandbox *sb, const char *save_dir, char *err, size_t errlen)
{
	memset(sb, 0, sizeof *sb);
	sb->enabled = true;
	sb->relay_port = MK_RELAY_INSIDE_PORT;
	sb->save_dir = save_dir;
	struct mk_engine_ids ids, relay;
	if (mk_sandbox_engine_ids(save_dir, &ids, err, errlen) != 0 ||
	    mk_sandbox_engine_ids(NULL, &relay, err, errlen) != 0)
		return -1;
	sb->userns = ids.userns;
	sb->uid = ids.uid;
	sb->gid = ids.gid;
	sb->relay_uid = relay.uid;
	sb->relay_gid = relay.gid;
	snprintf(sb->owner, sizeof sb->owner, "%s", ids.owner);
	return 0;
}

/* Sends "OK" + the relay's sockets (TCP listener, UDP socket), or "E" + text.
 * SOCK_SEQPACKET keeps it one message. */
static void report(int fd, const char *text, const int *fds, size_t nfds)
{
	char buf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0 && nfds <= 2) {
		memset(buf, 0, sizeof buf);
		msg.msg_control = buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	(void)sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static int fail(int fd, const char *what)
{
	char line[256];
	snprintf(line, sizeof line, "E%s: %s", what, strerror(errno));
	report(fd, line, NULL, 0);
	return -1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int map_ids(const struct mk_sandbox *sb)
{
	char line[64];
	/* /proc/self/{uid,gid}_map belong to root while we are non-dumpable
	 * (inherited from the broker), so the child is dumpable for just these
	 * three writes, then non-dumpable again until exec (and the engine
	 * stays so). Its memory and environment hold no password: the broker
	 * never keeps it in its environment, and spawn.c wiped the copy. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return -1;
	int rc = write_file("/proc/self/setgroups", "deny");
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)sb->uid, (unsigned)sb->uid);
	if (rc == 0)
		rc = write_file("/proc/self/uid_map", line);
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)sb->gid, (unsigned)sb->gid);
	if (rc == 0)
		rc = write_file("/proc/self/gid_map", line);
	int saved = errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	errno = saved;
	return rc;
}

static int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(s);
	errno = saved;
	return r;
}

/* SOCK_STREAM: the listener; SOCK_DGRAM: the relay's end of UDP ASSOCIATE
 * (same address, same port number: TCP and UDP ports are distinct). */
static int relay_socket(int type, uint16_t port)
{
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, MK_RELAY_INSIDE_IP, &a.sin_addr);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    (type == SOCK_STREAM && listen(s, 128) != 0)) {
		int saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	return s;
}

static int drop_privileges(const struct mk_sandbox *sb)
{
	if (!sb->userns) {
		/* Root: become the unprivileged user; capng_change_id also empties
		 * the bounding set and supplementary groups. */
		capng_clear(CAPNG_SELECT_BOTH);
		return capng_change_id((int)sb->uid, (int)sb->gid,
				       CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) == 0 ? 0 : -1;
	}
	/* In our own user namespace we hold every capability; drop them all,
	 * bounding and ambient included, before exec. */
	capng_clear(CAPNG_SELECT_ALL);
	return capng_apply(CAPNG_SELECT_ALL) == 0 ? 0 : -1;
}

int mk_sandbox_clone_flags(const struct mk_sandbox *sb)
{
	return CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
	       (sb->userns ? CLONE_NEWUSER : 0);
}

/* 4.: the filesystem view; the failing step is named in the report. */
static int enter_fs(const struct mk_sandbox *sb, const char *engine_path, int setup_fd)
{
	const char *step = "";
	if (mk_sandbox_fs_enter(sb->save_dir, engine_path, &step) == 0)
		return 0;
	char what[160];
	snprintf(what, sizeof what, "cannot build the engine's mount namespace (%s)", step);
	return fail(setup_fd, what);
}

static int check_data_writable(const struct mk_sandbox *sb, int setup_fd)
{
	if (access(MK_SANDBOX_DATA_DIR, W_OK | X_OK) == 0)
		return 0;
	char what[600];
	/* "S": the caller maps this to the save-dir exit code, not a sandbox failure. */
	snprintf(what, sizeof what, "Ssave dir %s is not writable by the sandboxed engine (uid %u): %s",
		 sb->save_dir, (unsigned)sb->uid, strerror(errno));
	report(setup_fd, what, NULL, 0);
	return -1;
}

int mk_sandbox_enter(const struct mk_sandbox *sb, const char *engine_path, int setup_fd)
{
	if (sb->userns && map_ids(sb) != 0)
		return fail(setup_fd, "cannot write the user namespace id maps");
	if (loopback_up() != 0)
		return fail(setup_fd, "cannot bring up lo in the engine's namespace");
	int fds[2] = { relay_socket(SOCK_STREAM, sb->relay_port), -1 };
	if (fds[0] < 0)
		return fail(setup_fd, "cannot open the relay socket in the engine's namespace");
	fds[1] = relay_socket(SOCK_DGRAM, sb->relay_port);
	if (fds[1] < 0)
		return fail(setup_fd, "cannot open the relay's UDP socket in the engine's namespace");
	if (sethostname(MK_SANDBOX_HOSTNAME, strlen(MK_SANDBOX_HOSTNAME)) != 0 ||
	    setdomainname("", 0) != 0)
		return fail(setup_fd, "cannot set the engine's host name (UTS namespace)");
	if (enter_fs(sb, engine_path, setup_fd) != 0)
		return -1;
	if (drop_privileges(sb) != 0)
		return fail(setup_fd, "cannot drop privileges for the engine");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(setup_fd, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (check_data_writable(sb, setup_fd) != 0)
		return -1;
	report(setup_fd, "OK", fds, 2);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

/* Takes the descriptors out of an SCM_RIGHTS message (at most 2). */
static void take_fds(struct msghdr *msg, int fds[2])
{
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return;
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(fds, CMSG_DATA(c), (n > 2 ? 2 : n) * sizeof(int));
}

int mk_sandbox_wait(int setup_fd, int timeout_ms, int *listen_fd, int *udp_fd, char *err,
		    size_t errlen)
{
	struct pollfd p = { .fd = setup_fd, .events = POLLIN };
	char text[512], cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof text - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof cbuf };
	int fds[2] = { -1, -1 };
	*listen_fd = *udp_fd = -1;
	if (poll(&p, 1, timeout_ms) <= 0) {
		snprintf(err, errlen, "sandbox setup did not answer within %d ms", timeout_ms);
		return -1;
	}
	ssize_t n = recvmsg(setup_fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		snprintf(err, errlen, "sandbox setup ended without a report");
		return -1;
	}
	text[n] = '\0';
	take_fds(&msg, fds);
	if (strcmp(text, "OK") == 0 && fds[0] >= 0 && fds[1] >= 0) {
		*listen_fd = fds[0];
		*udp_fd = fds[1];
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (text[0] == 'S') {
		snprintf(err, errlen, "%s", text + 1);
		return MK_SANDBOX_SAVEDIR;
	}
	snprintf(err, errlen, "sandbox: %s", text[0] == 'E' ? text + 1 : "unexpected setup report");
	return -1;
}
