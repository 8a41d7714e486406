/*
 * proc.h - start, wait for and stop the programs the lab runs.
 *
 * Contract: lt_spawn() forks; the child enters the named network namespace
 * the way `ip netns exec` does (it runs `ip netns exec NS CMD...`, so the
 * namespace's /etc/netns/NS files are bind-mounted too), becomes the leader
 * of its own process group, gets SIGKILL if the tool dies (PR_SET_PDEATHSIG,
 * as long as the program keeps its uid), reads /dev/null and writes stdout
 * and stderr to log_path (appending). Every wait is bounded: lt_wait()
 * returns 1 on timeout. lt_stop() signals only the process group it started
 * (TERM, bounded grace, KILL) and reaps the leader. env NULL keeps the
 * tool's environment. Exit status follows the shell: 128+signal if killed.
 */
#ifndef MEERKO_LEAKTEST_PROC_H
#define MEERKO_LEAKTEST_PROC_H

#include <sys/types.h>

pid_t lt_spawn(const char *netns, const char *log_path, char *const argv[], char *const env[]);
/* The same, in a new UTS namespace whose hostname is `hostname` (the lab's
 * client host has a name of its own, so the scanner can look for it). */
pid_t lt_spawn_host(const char *netns, const char *hostname, const char *log_path,
		    char *const argv[], char *const env[]);
/* 0 exited (status in *status), 1 still running after timeout_ms, -1 error. */
int lt_wait(pid_t pid, int timeout_ms, int *status);
void lt_stop(pid_t pid, int grace_ms);
/* Kill the whole process group at once (SIGKILL), reap the leader. */
void lt_kill_now(pid_t pid);
/* Run to completion within timeout_ms (stopped and 124 if it overruns). */
int lt_run(const char *netns, const char *log_path, char *const argv[], int timeout_ms);
/* Milliseconds on a monotonic clock. */
long long lt_now_ms(void);
void lt_sleep_ms(int ms);

#endif
