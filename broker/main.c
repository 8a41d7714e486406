/*
 * main.c - meerko-secure: the broker.
 *
 * Contract: the only Meerko process the user runs. In order: parse flags,
 * load and validate the configuration, read the torrent (bytes only, never
 * parsed here), prepare the save dir, check the proxy answers SOCKS5, start
 * the engine, supervise it to the end. Each failure prints one line on
 * stderr and exits with a code from exitcodes.h.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

#include "cli.h"
#include "config.h"
#include "exitcodes.h"
#include "input.h"
#include "socks5.h"
#include "spawn.h"
#include "supervise.h"

#define MK_PROBE_TIMEOUT_MS 5000

static int fail(int code, const char *msg)
{
	fprintf(stderr, "meerko-secure: %s\n", msg);
	return code;
}

static int load_config(const struct mk_cli *cli, struct mk_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];
	mk_config_defaults(cfg);
	int found = mk_config_find(cli->config_path, path, sizeof path, err, errlen);
	if (found < 0)
		return -1;
	if (found == 1 && mk_config_load_file(cfg, path, err, errlen) != 0)
		return -1;
	if (mk_cli_apply(cli, cfg, err, errlen) != 0)
		return -1;
	return mk_config_validate(cfg, err, errlen);
}

/* Blocks SIGINT/SIGTERM and returns a signalfd for them, so signals are
 * handled in the main loop rather than in async handlers. */
static int signals_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int check_proxy(const struct mk_config *cfg, char *err, size_t errlen)
{
	if (cfg->proxy_type == MK_CFG_PROXY_NONE)
		return 0;
	int r = mk_socks5_probe(cfg->proxy_host, cfg->proxy_port, cfg->proxy_user,
				cfg->proxy_password, MK_PROBE_TIMEOUT_MS, err, errlen);
	return r == MK_SOCKS_OK ? 0 : -1;
}

static int run(const struct mk_cli *cli)
{
	char err[1024], save[PATH_MAX], engine[PATH_MAX];
	struct mk_config cfg;
	struct mk_input in;
	if (load_config(cli, &cfg, err, sizeof err) != 0)
		return fail(MK_EXIT_USAGE, err);
	if (cfg.sandbox == MK_SANDBOX_REQUIRED)
		return fail(MK_EXIT_SANDBOX, "the sandbox is not built yet in this version: "
					     "set [sandbox] mode = off (or --sandbox off) to run without it");
	if (mk_input_load(&in, cli->inputs[0], err, sizeof err) != 0)
		return fail(MK_EXIT_INPUT, err);
	int code = MK_EXIT_OK;
	struct mk_engine_proc eng = { .pid = -1, .fd = -1 };
	int sigfd = -1;
	if (mk_savedir_prepare(cfg.save_dir, save, sizeof save, err, sizeof err) != 0)
		code = fail(MK_EXIT_DISK, err);
	else if (check_proxy(&cfg, err, sizeof err) != 0)
		code = fail(MK_EXIT_PROXY, err);
	else if ((sigfd = signals_fd()) < 0)
		code = fail(MK_EXIT_INTERNAL, "cannot set up signal handling");
	else if (mk_engine_path(engine, sizeof engine, err, sizeof err) != 0 ||
		 mk_engine_spawn(engine, &eng, err, sizeof err) != 0)
		code = fail(MK_EXIT_INTERNAL, err);
	if (code == MK_EXIT_OK) {
		int socks = cfg.proxy_type == MK_CFG_PROXY_NONE ? 0 : cfg.proxy_user[0] ? 2 : 1;
		struct mk_job job = {
			.cfg = &cfg, .input = &in, .save_path = save,
			.engine_proxy_host = cfg.proxy_host, .engine_proxy_port = cfg.proxy_port,
			.proxy_type = socks, .engine_proxy_user = cfg.proxy_user,
			.engine_proxy_password = cfg.proxy_password, .sigfd = sigfd,
		};
		code = mk_supervise(&job, &eng);
	}
	mk_input_free(&in);
	explicit_bzero(cfg.proxy_password, sizeof cfg.proxy_password);
	return code;
}

int main(int argc, char **argv)
{
	struct mk_cli cli;
	char err[512];
	if (mk_cli_parse(&cli, argc, argv, err, sizeof err) != 0)
		return fail(MK_EXIT_USAGE, err);
	if (cli.help) {
		mk_cli_usage(stdout);
		return MK_EXIT_OK;
	}
	if (cli.version) {
		printf("meerko-secure %s\n", MEERKO_VERSION);
		return MK_EXIT_OK;
	}
	return run(&cli);
}
