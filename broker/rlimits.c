/*
 * rlimits.c - the engine's resource limits (see rlimits.h).
 *
 * The table, one row per limit (measured on libtorrent 2.0.8, a 4-file
 * 1.2 GB download through the sandbox: 13 threads, VmData peak 126 MiB of
 * which 104 MiB are the 13 thread stacks of 8 MiB; see docs/sandbox.md):
 *
 *   resource      value                       why
 *   RLIMIT_NPROC  64 tasks (own user ns)      libtorrent runs 13 (main, network,
 *                 root mode: the uid's tasks  10 disk, 1 hashing; +1 resolver with
 *                 at start + 64 + the relay's tracker names): 64 is 4x that. It
 *                 threads                     counts per uid per user namespace
 *                                             (Linux >= 5.14): in userns mode the
 *                                             engine's namespace holds only the
 *                                             engine, so 64 caps it alone. As root
 *                                             the engine has no user namespace and
 *                                             the count is the whole uid's (and
 *                                             the relay's, same uid unless the
 *                                             engine runs as the save dir's
 *                                             owner): the limit is
 *                                             that count at start plus headroom, so
 *                                             the engine can push the uid's total at
 *                                             most 64 + relay past where it was.
 *   RLIMIT_DATA   [sandbox] engine_memory_mb  private writable memory (heap, thread
 *                 (default 1024 MiB)          stacks); 8x the measured peak. Not
 *                                             RLIMIT_AS: libtorrent 2.0 maps whole
 *                                             files MAP_SHARED, which AS counts and
 *                                             DATA does not (VmSize was 2.1 GB for
 *                                             the 1.2 GB torrent). seccomp forbids
 *                                             MAP_SHARED|MAP_ANONYMOUS, the one way
 *                                             around DATA.
 *   RLIMIT_FSIZE  16 MiB until the FileList,  libtorrent sizes each file with
 *                 then the largest wanted     ftruncate when it opens it; a torrent
 *                 file of its torrents (+     is added with every file at priority
 *                 part file allowance with    0, so nothing is written before the
 *                 --files)                    broker has raised the limit and sent
 *                                             the priorities. A lying FileList can
 *                                             raise only its own cap, to at most
 *                                             MK_MAX_FILE_SIZE (engine_msg.h). The
 *                                             16 MiB start: the limit also binds the
 *                                             engine's stderr when it is a file.
 * The relay's own cap (connections per engine, below its descriptor limit)
 * is in relay.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rlimits.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void mk_limits_plan(struct mk_engine_limits *l, const struct mk_sandbox *sb, int memory_mb,
		    int relay_threads)
{
	l->tasks = MK_ENGINE_MAX_TASKS;
	if (!sb->userns)
		l->tasks += mk_limits_count_tasks(sb->uid) + (uint64_t)relay_threads;
	l->data_bytes = (uint64_t)memory_mb << 20;
	l->fsize = MK_ENGINE_FSIZE_START;
}

/* "Uid:\tREAL\t..." and "Threads:\tN" of one /proc/PID/status. */
static uint64_t threads_of(const char *pid, uid_t uid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%s/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0; /* gone meanwhile */
	long real = -1;
	unsigned long n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Uid:", 4) == 0)
			real = strtol(line + 4, NULL, 10);
		else if (strncmp(line, "Threads:", 8) == 0)
			n = strtoul(line + 8, NULL, 10);
	}
	fclose(f);
	return real == (long)uid ? n : 0;
}

uint64_t mk_limits_count_tasks(uid_t uid)
{
	DIR *d = opendir("/proc");
	uint64_t n = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			n += threads_of(de->d_name, uid);
	closedir(d);
	return n;
}

uint64_t mk_limits_fsize_for(const Meerko__FileList *fl, const bool *want)
{
	uint64_t largest = 0, total = 0;
	bool some_unwanted = false;
	for (size_t i = 0; i < fl->n_files; i++) {
		uint64_t size = fl->files[i]->size;
		total = sat_add(total, size);
		if (want && !want[i])
			some_unwanted = true;
		else if (size > largest)
			largest = size;
	}
	if (some_unwanted && sat_add(total, MK_PARTFILE_SLACK) > largest)
		largest = sat_add(total, MK_PARTFILE_SLACK);
	return largest;
}

/* 0 or an errno. Only system calls: it also runs in a forked child. */
static int raise_now(pid_t pid, uint64_t bytes)
{
	struct rlimit old;
	if (prlimit(pid, RLIMIT_FSIZE, NULL, &old) != 0)
		return errno;
	if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur >= bytes)
		return 0; /* unconfined engine, or already enough */
	struct rlimit now = { .rlim_cur = bytes < old.rlim_max ? bytes : old.rlim_max,
			      .rlim_max = old.rlim_max };
	return prlimit(pid, RLIMIT_FSIZE, &now, NULL) == 0 ? 0 : errno;
}

static int raise_as(const struct mk_engine_proc *eng, pid_t pid, uint64_t bytes)
{
	pid_t c = fork();
	if (c == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(eng->gid, eng->gid, eng->gid) != 0 ||
		    setresuid(eng->uid, eng->uid, eng->uid) != 0)
			_exit(EPERM);
		_exit(raise_now(pid, bytes));
	}
	if (c < 0)
		return errno;
	int ws = 0;
	while (waitpid(c, &ws, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : ECHILD;
}

int mk_limits_raise_fsize(const struct mk_engine_proc *eng, uint64_t bytes, char *err, size_t errlen)
{
	bool other = geteuid() == 0 && eng->uid != 0;
	pid_t pid = mk_engine_pid(eng); /* the engine itself, not the sandbox's init */
	int e = pid <= 0 ? ESRCH : other ? raise_as(eng, pid, bytes) : raise_now(pid, bytes);
	if (e != 0) {
		snprintf(err, errlen, "cannot raise the engine's file size limit to %llu bytes: %s",
			 (unsigned long long)bytes, strerror(e));
		return -1;
	}
	return 0;
}
