/*
 * test_cli.c - the command line is generated from two tables: cli.c's own
 * options and config.c's key table with its flag column.
 *
 * What must hold, checked against the tables themselves (no list kept here):
 *  - every config key with a flag is accepted on the command line and sets
 *    exactly what the meerko.ini key sets, with the ini's own checks (same
 *    message, prefixed "--NAME: ");
 *  - --help has a line for every option, and meerko-secure(1) names each;
 *    meerko.ini(5) says at each key with a flag which flag sets it;
 *  - a key without a flag is no option: above all [proxy] password, which
 *    would show in ps;
 *  - a missing value and an unknown option are told apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "config.h"
#include "config_keys.h"

#define ERRLEN 512
#define MAX_OPTS 128

/* Parses {"meerko-secure", args..., "x.torrent"}; 0 or -1 with err. */
static int parse(struct mk_cli *cli, char *err, const char *a1, const char *a2)
{
	char *argv[] = { "meerko-secure", (char *)a1, (char *)a2, "x.torrent", NULL };
	int argc = 4;
	if (!a2) {
		argv[2] = "x.torrent";
		argv[3] = NULL;
		argc = 3;
	}
	return mk_cli_parse(cli, argc, argv, err, ERRLEN);
}

/* "--NAME" or, for the short form, "-L". */
static void spell(char *out, size_t len, const struct mk_config_flag *f, int use_letter)
{
	if (use_letter)
		snprintf(out, len, "-%c", f->letter);
	else
		snprintf(out, len, "--%s", f->name);
}

/* A switch sets its boolean key to true, as "key = true" does. */
static void expect_switch_sets_key(const struct mk_config_flag *f, const char *sec, const char *name)
{
	struct mk_cli cli;
	struct mk_config by_flag, by_ini;
	char err[ERRLEN] = "", opt[96];
	spell(opt, sizeof opt, f, 0);
	if (parse(&cli, err, opt, NULL) != 0)
		fail_msg("%s ([%s] %s) is not accepted: %s", opt, sec, name, err);
	mk_config_defaults(&by_flag);
	mk_config_defaults(&by_ini);
	assert_int_equal(mk_cli_apply(&cli, &by_flag, err, ERRLEN), 0);
	assert_int_equal(mk_config_set(&by_ini, sec, name, "true", NULL, err, ERRLEN), 0);
	if (memcmp(&by_flag, &by_ini, sizeof by_flag) != 0)
		fail_msg("%s does not set what [%s] %s = true sets", opt, sec, name);
}

/* A flag with a value goes through the key's own parser: a value every
 * parser refuses (a control character) gives the ini's message. */
static void expect_flag_checks_like_key(const struct mk_config_flag *f, const char *sec, const char *name,
					int use_letter)
{
	struct mk_cli cli;
	struct mk_config c;
	char err[ERRLEN] = "", ini_err[ERRLEN] = "", opt[96], want[ERRLEN + 100];
	spell(opt, sizeof opt, f, use_letter);
	if (parse(&cli, err, opt, "\x01") != 0)
		fail_msg("%s ([%s] %s) is not accepted: %s", opt, sec, name, err);
	mk_config_defaults(&c);
	assert_int_equal(mk_config_set(&c, sec, name, "\x01", NULL, ini_err, ERRLEN), -1);
	mk_config_defaults(&c);
	assert_int_equal(mk_cli_apply(&cli, &c, err, ERRLEN), -1);
	snprintf(want, sizeof want, "--%s: %s", f->name, ini_err);
	assert_string_equal(err, want);
}

static void test_every_key_flag_is_accepted_and_sets_its_key(void **state)
{
	size_t with_flag = 0;
	(void)state;
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const struct mk_config_flag *f = mk_config_key_flag(k);
		const char *sec, *name;
		if (!f)
			continue;
		assert_int_equal(mk_config_key_at(k, &sec, &name), 0);
		assert_non_null(f->help);
		with_flag++;
		if (!f->metavar) {
			expect_switch_sets_key(f, sec, name);
			continue;
		}
		expect_flag_checks_like_key(f, sec, name, 0);
		if (f->letter)
			expect_flag_checks_like_key(f, sec, name, 1);
	}
	assert_true(with_flag >= 10); /* the table has its flag column */
}

/* A flag given twice, or over the file: the last word wins. */
static void test_flag_overrides_file_and_earlier_flag(void **state)
{
	char *argv[] = { "meerko-secure", "--max-down", "5", "--max-down", "7", "-o", "/srv/a", "x.torrent", NULL };
	struct mk_cli cli;
	struct mk_config c;
	char err[ERRLEN];
	(void)state;
	assert_int_equal(mk_cli_parse(&cli, 8, argv, err, ERRLEN), 0);
	mk_config_defaults(&c);
	assert_int_equal(mk_config_set(&c, "download", "max_down", "3", "meerko.ini:2", err, ERRLEN), 0);
	assert_int_equal(mk_cli_apply(&cli, &c, err, ERRLEN), 0);
	assert_int_equal(c.max_down_kib, 7);
	assert_string_equal(c.save_dir, "/srv/a");
}

/* Is there a usage line "  -L, --NAME METAVAR  help..." (or "      --NAME")? */
static int usage_has_line(const char *usage, const struct mk_config_flag *f)
{
	char head[128];
	snprintf(head, sizeof head, "\n  %s%c%s--%s%s%s  ", f->letter ? "-" : " ", f->letter ? f->letter : ' ',
		 f->letter ? ", " : "  ", f->name, f->metavar ? " " : "", f->metavar ? f->metavar : "");
	const char *p = strstr(usage, head);
	if (!p)
		return 0;
	p += strlen(head);
	p += strspn(p, " ");
	size_t first = strcspn(f->help, "\n");
	return strncmp(p, f->help, first) == 0;
}

static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	mk_cli_usage(out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void test_usage_has_every_key_flag_and_option(void **state)
{
	const struct mk_config_flag *opts[MAX_OPTS];
	char *usage = usage_text();
	(void)state;
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const struct mk_config_flag *f = mk_config_key_flag(k);
		if (f && !usage_has_line(usage, f))
			fail_msg("--help has no line for --%s", f->name);
	}
	size_t n = mk_cli_options(opts, MAX_OPTS);
	assert_true(n <= MAX_OPTS);
	for (size_t i = 0; i < n; i++)
		if (!usage_has_line(usage, opts[i]))
			fail_msg("--help has no line for --%s", opts[i]->name);
	assert_non_null(strstr(usage, "usage: meerko-secure [options] FILE.torrent|MAGNET...\n"));
	assert_non_null(strstr(usage, "\nExit codes: 0 done,"));
	free(usage);
}

/* The options list has each name once, and every key flag is in it. */
static void test_options_unique_and_complete(void **state)
{
	const struct mk_config_flag *opts[MAX_OPTS];
	size_t n = mk_cli_options(opts, MAX_OPTS);
	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			assert_string_not_equal(opts[i]->name, opts[j]->name);
			assert_true(!opts[i]->letter || opts[i]->letter != opts[j]->letter);
		}
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const struct mk_config_flag *f = mk_config_key_flag(k);
		size_t i = 0;
		while (f && i < n && opts[i] != f)
			i++;
		if (f && i == n)
			fail_msg("--%s is in the key table but not among the options", f->name);
	}
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char *buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, fp);
	assert_true(n > 0);
	fclose(fp);
	return buf;
}

/* roff spells --max-down as \-\-max\-down; followed by no more name. */
static int manpage_names(const char *text, const char *name)
{
	char want[160] = "\\-\\-";
	size_t w = strlen(want);
	for (const char *p = name; *p && w + 3 < sizeof want; p++) {
		if (*p == '-')
			want[w++] = '\\';
		want[w++] = *p;
	}
	want[w] = '\0';
	for (const char *p = strstr(text, want); p; p = strstr(p + 1, want)) {
		const char *e = p + w;
		if (strncmp(e, "\\-", 2) != 0 && !(*e >= 'a' && *e <= 'z'))
			return 1;
	}
	return 0;
}

static void test_manpage_names_every_option(void **state)
{
	const struct mk_config_flag *opts[MAX_OPTS];
	char *man = read_all(MEERKO_SOURCE_DIR "/docs/meerko-secure.1");
	size_t n = mk_cli_options(opts, MAX_OPTS);
	(void)state;
	for (size_t i = 0; i < n; i++)
		if (!manpage_names(man, opts[i]->name))
			fail_msg("docs/meerko-secure.1 does not name --%s", opts[i]->name);
	assert_false(manpage_names(man, "max-connections-per")); /* a prefix is not a name */
	free(man);
}

/* Is the ".B ..." line [line, eol) about key `name` (a word of it)? */
static int line_names_key(const char *line, const char *eol, const char *name)
{
	size_t nlen = strlen(name);
	if (strncmp(line, ".B", 2) != 0)
		return 0;
	for (const char *q = line + 2; q + nlen <= eol; q++)
		if (strncmp(q, name, nlen) == 0 && (q[-1] == ' ' || q[-1] == '"') &&
		    (q[nlen] == ' ' || q[nlen] == '\n' || q[nlen] == '"'))
			return 1;
	return 0;
}

/* Key `name`'s entry in the ".SS [section]" block of meerko.ini(5): from
 * its ".TP" to the next ".TP", ".SS" or ".SH", which is overwritten with a
 * NUL; NULL when there is none. */
static char *ini_entry(char *text, const char *section, const char *name)
{
	char head[80];
	snprintf(head, sizeof head, "\n.SS [%s]\n", section);
	char *p = strstr(text, head);
	if (!p)
		return NULL;
	p += strlen(head) - 1;
	char *block_end = strstr(p, "\n.S");
	for (char *tp = strstr(p, "\n.TP\n"); tp && (!block_end || tp < block_end); tp = strstr(tp + 1, "\n.TP\n")) {
		char *line = tp + 5, *eol = strchr(line, '\n');
		if (!eol || !line_names_key(line, eol, name))
			continue;
		char *end = strstr(eol, "\n.TP\n");
		if (!end || (block_end && block_end < end))
			end = block_end;
		if (end)
			*end = '\0';
		return line;
	}
	return NULL;
}

/* meerko.ini(5) says, at each key that has a flag, which flag sets it. */
static void test_ini_manpage_names_each_keys_flag(void **state)
{
	(void)state;
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const struct mk_config_flag *f = mk_config_key_flag(k);
		const char *sec, *name;
		if (!f)
			continue;
		assert_int_equal(mk_config_key_at(k, &sec, &name), 0);
		char *text = read_all(MEERKO_SOURCE_DIR "/docs/meerko.ini.5");
		char *entry = ini_entry(text, sec, name);
		if (!entry)
			fail_msg("docs/meerko.ini.5 has no entry for [%s] %s", sec, name);
		if (!manpage_names(entry, f->name))
			fail_msg("docs/meerko.ini.5: [%s] %s does not say \"Also --%s\"", sec, name, f->name);
		free(text);
	}
	char *text = read_all(MEERKO_SOURCE_DIR "/docs/meerko.ini.5");
	char *entry = ini_entry(text, "ui", "plain_interval");
	assert_non_null(entry);
	assert_false(manpage_names(entry, "progress")); /* the next entry's flag is not this one's */
	free(text);
}

/* The password on the command line would show in ps: it is no flag, nor is
 * any key without a flag column. */
static void test_password_and_unflagged_keys_are_no_options(void **state)
{
	struct mk_cli cli;
	char err[ERRLEN];
	(void)state;
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const char *sec, *name;
		assert_int_equal(mk_config_key_at(k, &sec, &name), 0);
		if (strcmp(sec, "proxy") == 0 && strcmp(name, "password") == 0)
			assert_null(mk_config_key_flag(k));
	}
	const char *tries[] = { "--password", "--proxy-password", "--dht", "--password_file" };
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		assert_int_equal(parse(&cli, err, tries[i], "x"), -1);
		char want[128];
		snprintf(want, sizeof want, "%s: unknown option or missing value (see --help)", tries[i]);
		assert_string_equal(err, want);
	}
}

static void test_missing_value_is_named(void **state)
{
	char *argv[] = { "meerko-secure", "--max-down", NULL };
	char *shortv[] = { "meerko-secure", "-o", NULL };
	struct mk_cli cli;
	char err[ERRLEN];
	(void)state;
	assert_int_equal(mk_cli_parse(&cli, 2, argv, err, ERRLEN), -1);
	assert_string_equal(err, "--max-down: needs a value (see --help)");
	assert_int_equal(mk_cli_parse(&cli, 2, shortv, err, ERRLEN), -1);
	assert_string_equal(err, "-o: needs a value (see --help)");
	assert_int_equal(parse(&cli, err, "--sequential=yes", NULL), -1);
	assert_string_equal(err, "--sequential=yes: unknown option or missing value (see --help)");
	assert_int_equal(parse(&cli, err, "-Xh", NULL), -1);
	assert_string_equal(err, "-X: unknown option or missing value (see --help)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_flag_is_accepted_and_sets_its_key),
		cmocka_unit_test(test_flag_overrides_file_and_earlier_flag),
		cmocka_unit_test(test_usage_has_every_key_flag_and_option),
		cmocka_unit_test(test_options_unique_and_complete),
		cmocka_unit_test(test_manpage_names_every_option),
		cmocka_unit_test(test_ini_manpage_names_each_keys_flag),
		cmocka_unit_test(test_password_and_unflagged_keys_are_no_options),
		cmocka_unit_test(test_missing_value_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
