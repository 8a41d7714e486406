/*
 * control_http.h - the libmicrohttpd request handler of meerko-control and
 * the state it serves with (control_http.c has the rules).
 */
#ifndef MEERKO_CONTROL_HTTP_H
#define MEERKO_CONTROL_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "control.pb-c.h"

struct mk_ctl_server {
	const Meerko__Control__ControlSettings *settings;
	char session_id[49];     /* 48 hex digits from getrandom */
	int broker_fd;
	uint64_t next_id;        /* ControlRequest ids: 1, 2, ... */
	uint64_t served;         /* JSON requests answered */
};

enum MHD_Result mk_ctl_handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls);

void mk_ctl_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe);

#endif
