/*
 * escape_test.h - TEST-ONLY escape attempts, compiled only into the
 * meerko-engine-escape test binary (MEERKO_ESCAPE_TEST); never installed.
 */
#ifndef MEERKO_ENGINE_ESCAPE_TEST_H
#define MEERKO_ENGINE_ESCAPE_TEST_H
#include <stddef.h>

/* Runs the attempt named `name` (up to '&' or end) from inside the confined
 * engine and writes "escape NAME: blocked (reason)" or
 * "escape NAME: SUCCEEDED (...)" into out. May not return (killed by seccomp). */
void mk_escape_attempt(const char *name, char *out, size_t outlen);

/* The save dir of the torrent that asked (attempts that need a file). */
void mk_escape_set_save_path(const char *path);

/* Before the engine's Ready: with the marker file
 * WRITE_DIR/.meerko-escape-resume-before-ready, sends ResumeData of torrent
 * 1 (which the broker has not added yet). */
void mk_escape_before_ready(const char *write_dir);

#endif
