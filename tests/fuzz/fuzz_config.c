/*
 * fuzz_config.c - meerko.ini loading: mk_config_defaults +
 * mk_config_load_file + mk_config_validate on a file holding the input.
 *
 * One temp file (0600, in $TMPDIR or /tmp) is created once and rewritten
 * for every input; it is unlinked at exit.
 *
 * Oracle, beyond ASan/UBSan:
 *  - an error is one non-empty line of printable ASCII (config.c promises
 *    that untrusted values are echoed through shown() only);
 *  - a config that loaded holds only values the setters accept (IP literal
 *    host, port 1..65535, ranges, enums, no control characters in strings).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tmp_create("config");
	return 0;
}

static void check_line(const char *err)
{
	if (err[0] == '\0')
		abort();
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			abort(); /* not one line of printable text */
}

static void check_str(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_config(const struct mk_config *c)
{
	unsigned char a[16];
	check_str(c->proxy_host, sizeof c->proxy_host);
	check_str(c->proxy_user, sizeof c->proxy_user);
	check_str(c->proxy_password, sizeof c->proxy_password);
	check_str(c->save_dir, sizeof c->save_dir);
	check_str(c->state_dir, sizeof c->state_dir);
	if (inet_pton(AF_INET, c->proxy_host, a) != 1 && inet_pton(AF_INET6, c->proxy_host, a) != 1)
		abort();
	if (c->proxy_port == 0 || c->save_dir[0] == '\0')
		abort();
	if ((unsigned)c->proxy_type > MK_CFG_PROXY_SOCKS5 || (unsigned)c->progress > MK_PROGRESS_NONE ||
	    (unsigned)c->sandbox > MK_SANDBOX_OFF || (unsigned)c->on_proxy_loss > MK_ON_LOSS_EXIT)
		abort();
	if (c->max_down_kib < 0 || c->max_down_kib > 10000000 || c->max_up_kib < 0 ||
	    c->max_up_kib > 10000000 || c->plain_interval_s < 1 || c->plain_interval_s > 3600)
		abort();
	if (c->max_outage_s < 1 || c->max_outage_s > 604800 || c->max_restarts < 0 ||
	    c->max_restarts > 100 || c->restart_window_s < 1 || c->restart_window_s > 86400 ||
	    c->resume_interval_s < 5 || c->resume_interval_s > 86400)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_tmp_write(data, size);

	static struct mk_config c; /* ~9 KiB */
	char err[1024] = "";
	mk_config_defaults(&c);
	if (mk_config_load_file(&c, fuzz_tmp_path, err, sizeof err) != 0) {
		check_line(err);
		return 0;
	}
	check_config(&c);
	err[0] = '\0';
	if (mk_config_validate(&c, err, sizeof err) != 0)
		check_line(err);
	return 0;
}
