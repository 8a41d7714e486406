/*
 * control_http.c - the HTTP side of meerko-control (libmicrohttpd): the
 * security rules every request passes before its body is even kept, then
 * one JSON body -> one ControlRequest -> the broker's ControlReply -> JSON.
 *
 * Contract: a request is answered from the table below, in its order; the
 * first rule that fails decides the answer, and nothing after it runs:
 *   path       the rpc path (or it with a trailing '/')      else 404
 *   Host       a name of the allowlist, port stripped         else 421
 *              (DNS rebinding: CVE-2018-5702)
 *   auth       Basic, username and password both equal,       else 401 with
 *              compared in constant time; no localhost bypass WWW-Authenticate
 *   method     POST, or GET (answered 409 below)              else 405
 *   session id X-Transmission-Session-Id equal to ours        else 409 with it
 *              (CSRF: a web page cannot read it)
 *   body size  Content-Length and the bytes received          else 413
 *              <= max_body
 * Then the body goes to control_methods.c; a request the broker must answer
 * is sent as one frame and meerko-control waits (one request at a time,
 * MK_CONTROL_REPLY_TIMEOUT_MS) for the reply with the same id. The broker
 * not answering, or answering with another id, ends the process: it is
 * trusted, so that is a bug, not an attack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "control_fds.h"
#include "control_http.h"
#include "control_methods.h"
#include "frame.h"

struct request {
	char *body;
	size_t len;
	bool too_big;
	bool checked;   /* the header rules passed */
};

/* Equal in time that depends on the lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned diff = la != lb;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(unsigned char)(i < la ? a[i] : 0) ^ (unsigned char)(i < lb ? b[i] : 0);
	return diff == 0;
}

static bool path_ok(const struct mk_ctl_server *s, const char *url)
{
	size_t n = strlen(s->settings->rpc_path);
	return strncmp(url, s->settings->rpc_path, n) == 0 &&
	       (url[n] == '\0' || (url[n] == '/' && url[n + 1] == '\0'));
}

/* "name", "name:port", "[v6]", "[v6]:port" -> the name part, or false. */
static bool host_name(const char *host, char *out, size_t outlen)
{
	const char *end;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return false;
		host++;
	} else {
		end = strchr(host, ':');
		if (end && strchr(end + 1, ':'))
			return false; /* a bare IPv6 address is not a Host value */
		end = end ? end : host + strlen(host);
	}
	size_t n = (size_t)(end - host);
	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, host, n);
	out[n] = '\0';
	return true;
}

static bool host_ok(const struct mk_ctl_server *s, struct MHD_Connection *c)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	char name[256];
	if (!host || !host_name(host, name, sizeof name))
		return false;
	for (size_t i = 0; i < s->settings->n_host_allowlist; i++)
		if (strcasecmp(name, s->settings->host_allowlist[i]) == 0)
			return true;
	return false;
}

static bool auth_ok(const struct mk_ctl_server *s, struct MHD_Connection *c)
{
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = user && pass && same_secret(user, s->settings->username) &
				     same_secret(pass, s->settings->password);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static bool session_ok(const struct mk_ctl_server *s, struct MHD_Connection *c)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Transmission-Session-Id");
	return sid && same_secret(sid, s->session_id);
}

static bool length_ok(const struct mk_ctl_server *s, struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
	return !cl || (*end == '\0' && n <= s->settings->max_body);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
			      char *body, size_t len, const char *sid)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (sid)
		MHD_add_response_header(r, "X-Transmission-Session-Id", sid);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status, const char *text,
				   const char *sid)
{
	char *body = strdup(text);
	return body ? answer(c, status, "text/plain", body, strlen(body), sid) : MHD_NO;
}

static enum MHD_Result refuse_auth(struct MHD_Connection *c)
{
	char *body = strdup("401: Unauthorized\n");
	struct MHD_Response *r = body ? MHD_create_response_from_buffer(strlen(body), body,
									 MHD_RESPMEM_MUST_FREE) : NULL;
	if (!r) {
		free(body);
		return MHD_NO;
	}
	enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, "Transmission", r);
	MHD_destroy_response(r);
	return ret;
}

/* The header rules of the contract. MHD_YES with nothing queued: passed. */
static enum MHD_Result check_headers(struct mk_ctl_server *s, struct MHD_Connection *c,
				     const char *url, const char *method, bool *passed)
{
	*passed = false;
	if (!path_ok(s, url))
		return answer_text(c, MHD_HTTP_NOT_FOUND, "404: Not Found\n", NULL);
	if (!host_ok(s, c))
		return answer_text(c, 421, "421: Misdirected Request (Host not allowed)\n", NULL);
	if (!auth_ok(s, c))
		return refuse_auth(c);
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405: Method Not Allowed\n", NULL);
	if (!post || !session_ok(s, c))
		return answer_text(c, MHD_HTTP_CONFLICT, "409: Conflict (X-Transmission-Session-Id)\n",
				   s->session_id);
	if (!length_ok(s, c))
		return answer_text(c, 413, "413: Payload Too Large\n", NULL);
	*passed = true;
	return MHD_YES;
}

static bool keep_body(struct mk_ctl_server *s, struct request *rq, const char *data, size_t n)
{
	if (rq->too_big || n > s->settings->max_body - rq->len) {
		rq->too_big = true;
		free(rq->body);
		rq->body = NULL;
		return false;
	}
	char *grown = realloc(rq->body, rq->len + n + 1);
	if (!grown)
		return false;
	memcpy(grown + rq->len, data, n);
	rq->body = grown;
	rq->len += n;
	return true;
}

/* ---------------------------------------------------------- the broker */

static Meerko__Control__ControlReply *broker_exchange(struct mk_ctl_server *s,
						       const Meerko__Control__ControlRequest *req)
{
	size_t n = meerko__control__control_request__get_packed_size(req), len;
	uint8_t *buf = malloc(n ? n : 1), *in = NULL;
	if (!buf || meerko__control__control_request__pack(req, buf) != n ||
	    mk_frame_write(s->broker_fd, buf, n) != MK_FRAME_OK) {
		fprintf(stderr, "meerko-control: cannot send to the broker\n");
		_exit(MK_CONTROL_EXIT_FATAL);
	}
	free(buf);
	if (mk_frame_read_blocking(s->broker_fd, MK_CONTROL_REPLY_TIMEOUT_MS, &in, &len) != MK_FRAME_OK) {
		fprintf(stderr, "meerko-control: no reply from the broker\n");
		_exit(MK_CONTROL_EXIT_FATAL);
	}
	Meerko__Control__BrokerToControl *m = meerko__control__broker_to_control__unpack(NULL, len, in);
	free(in);
	if (!m || !m->reply || m->reply->id != req->id) {
		fprintf(stderr, "meerko-control: the broker sent something else than the reply\n");
		_exit(MK_CONTROL_EXIT_FATAL);
	}
	Meerko__Control__ControlReply *r = m->reply;
	m->reply = NULL;
	meerko__control__broker_to_control__free_unpacked(m, NULL);
	return r;
}

static enum MHD_Result serve(struct mk_ctl_server *s, struct MHD_Connection *c, struct request *rq)
{
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply *reply = NULL;
	size_t len = 0;
	if (rq->too_big)
		return answer_text(c, 413, "413: Payload Too Large\n", NULL);
	mk_ctl_parse(rq->body ? rq->body : "", rq->len, ++s->next_id, &p);
	if (!p.error)
		reply = broker_exchange(s, p.req);
	char *out = mk_ctl_render(&p, reply, s->session_id, &len);
	if (reply)
		meerko__control__control_reply__free_unpacked(reply, NULL);
	mk_ctl_parsed_free(&p);
	s->served++;
	return out ? answer(c, MHD_HTTP_OK, "application/json; charset=UTF-8", out, len, NULL) : MHD_NO;
}

enum MHD_Result mk_ctl_handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct mk_ctl_server *s = cls;
	struct request *rq = *con_cls;
	(void)version;
	if (!rq) { /* first call: headers only */
		bool passed;
		enum MHD_Result r = check_headers(s, c, url, method, &passed);
		if (!passed)
			return r;
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		rq->checked = true;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size) {
		if (!keep_body(s, rq, data, *data_size) && !rq->too_big)
			return MHD_NO; /* out of memory: drop the connection */
		*data_size = 0;
		return MHD_YES;
	}
	return serve(s, c, rq);
}

void mk_ctl_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	(void)cls, (void)c, (void)toe;
	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
}
