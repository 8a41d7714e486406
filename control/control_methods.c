/*
 * control_methods.c - THE table of Transmission RPC methods meerko-control
 * serves, with the JSON -> ControlRequest parser and the ControlReply ->
 * JSON renderer of each (see control_methods.h).
 *
 * Contract: json-c parses (depth MK_CTL_JSON_DEPTH); nothing here parses
 * JSON text by hand. Arguments are copied into the method's typed argument
 * message by the proto naming rule of ipc/control.proto (JSON "a-b" <->
 * proto a_b), checked against the field's type; names the message lacks are
 * ignored, as Transmission does. Three arguments are typed by hand: "ids"
 * (numbers, 40-hex hashes or "recently-active"), torrent-get "fields"
 * (TorrentRecord field names -> TorrentField values; unknown names dropped)
 * and "metainfo" (base64 -> bytes). Replies are rendered from the reply's
 * set fields only; torrent records are filtered again by the fields asked
 * for, so the broker cannot leak a field a client did not request.
 * Everything allocated is freed on every path (the fuzz target checks).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "control_methods.h"

typedef Meerko__Control__ControlRequest ControlRequest;
typedef Meerko__Control__ControlReply ControlReply;

typedef json_object *(*render_fn)(const struct mk_ctl_parsed *p, const ControlReply *r,
				  const char *session_id);

struct mk_ctl_method {
	const char *name;                 /* JSON "method" */
	Meerko__Control__Method method;
	bool takes_ids;                   /* "ids" -> ControlRequest.ids */
	const char *args_field;           /* ControlRequest member for the arguments, or NULL */
	render_fn render;                 /* ControlReply -> "arguments" */
	const char *why_safe;
};

static json_object *render_empty(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_session(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_stats(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_add(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_get(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_free_space(const struct mk_ctl_parsed *, const ControlReply *, const char *);
static json_object *render_port_test(const struct mk_ctl_parsed *, const ControlReply *, const char *);

#define M(x) MEERKO__CONTROL__METHOD__##x
#define ACTION_WHY "only torrent ids go to the broker; it checks them against its own table"
static const struct mk_ctl_method methods[] = {
	{ "session-get", M(SESSION_GET), false, "session_get", render_session,
	  "field names only; the broker decides what a session shows (no paths beyond the root)" },
	{ "session-set", M(SESSION_SET), false, "session_set", render_empty,
	  "typed values only; the broker validates each and refuses what it does not allow" },
	{ "session-stats", M(SESSION_STATS), false, NULL, render_stats, "no arguments" },
	{ "torrent-add", M(TORRENT_ADD), false, "torrent_add", render_add,
	  "magnet text or .torrent bytes: the broker validates them and the confined engine "
	  "parses them; download-dir must lie under the root (broker)" },
	{ "torrent-get", M(TORRENT_GET), true, "torrent_get", render_get,
	  "ids and a field enum list; records rendered with the requested fields only" },
	{ "torrent-start", M(TORRENT_START), true, NULL, render_empty, ACTION_WHY },
	{ "torrent-start-now", M(TORRENT_START_NOW), true, NULL, render_empty, ACTION_WHY },
	{ "torrent-stop", M(TORRENT_STOP), true, NULL, render_empty, ACTION_WHY },
	{ "torrent-verify", M(TORRENT_VERIFY), true, NULL, render_empty, ACTION_WHY },
	{ "torrent-reannounce", M(TORRENT_REANNOUNCE), true, NULL, render_empty, ACTION_WHY },
	{ "torrent-remove", M(TORRENT_REMOVE), true, "torrent_remove", render_empty,
	  "ids and one bool; the engine deletes only inside its write view" },
	{ "torrent-set", M(TORRENT_SET), true, "torrent_set", render_empty,
	  "file indexes and limits as numbers; the broker range-checks them per torrent" },
	{ "queue-move-top", M(QUEUE_MOVE_TOP), true, NULL, render_empty, ACTION_WHY },
	{ "queue-move-up", M(QUEUE_MOVE_UP), true, NULL, render_empty, ACTION_WHY },
	{ "queue-move-down", M(QUEUE_MOVE_DOWN), true, NULL, render_empty, ACTION_WHY },
	{ "queue-move-bottom", M(QUEUE_MOVE_BOTTOM), true, NULL, render_empty, ACTION_WHY },
	{ "free-space", M(FREE_SPACE), false, "free_space", render_free_space,
	  "a path string; the broker answers for the download root only" },
	{ "port-test", M(PORT_TEST), false, NULL, render_port_test,
	  "no arguments; the answer is always false (nobody connects in behind SOCKS5)" },
};
#undef M

const char *mk_ctl_method_name(size_t i, const char **why_safe)
{
	if (i >= sizeof methods / sizeof methods[0])
		return NULL;
	*why_safe = methods[i].why_safe;
	return methods[i].name;
}

static const struct mk_ctl_method *find_method(const char *name)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* ------------------------------------------------------------- base64 */

static int b64_value(unsigned char c)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = c ? strchr(alphabet, c) : NULL;
	return at ? (int)(at - alphabet) : -1;
}

int mk_ctl_base64_decode(const char *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = malloc(inlen / 4 * 3 + 3);
	size_t n = 0, bits = 0, pads = 0;
	uint32_t acc = 0;
	if (!buf)
		return -1;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		int v = b64_value(c);
		if (isspace(c))
			continue;
		if (c == '=' || pads) { /* only '=' (at most 2) after the first '=' */
			if (c != '=' || ++pads > 2)
				goto bad;
			continue;
		}
		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 6) /* one lone character: 6 bits are not a byte */
		goto bad;
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -1;
}

/* --------------------------------------------- JSON value -> proto field */

/* "download-dir" -> "download_dir" (the proto naming rule). */
static void proto_name(const char *key, char *out, size_t outlen)
{
	size_t i = 0;
	for (; key[i] && i + 1 < outlen; i++)
		out[i] = key[i] == '-' ? '_' : key[i];
	out[i] = '\0';
}

static bool get_int64(json_object *v, int64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		*out = json_object_get_int64(v);
		return errno == 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d >= -9.0e18 && d <= 9.0e18 && d == (double)(int64_t)d) {
			*out = (int64_t)d;
			return true;
		}
	}
	return false;
}

/* Transmission takes true/false and 0/1. */
static bool get_bool(json_object *v, protobuf_c_boolean *out)
{
	int64_t i;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return true;
	}
	if (json_object_is_type(v, json_type_int) && get_int64(v, &i) && (i == 0 || i == 1)) {
		*out = i == 1;
		return true;
	}
	return false;
}

/* A string without NUL bytes, copied. */
static char *get_string(json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	return strlen(s) == n ? strdup(s) : NULL;
}

/* torrent-get "fields": a TorrentRecord field name -> its number (= the
 * TorrentField value), 0 for names we do not know. */
static int torrent_field_value(json_object *v)
{
	char name[64];
	if (!json_object_is_type(v, json_type_string))
		return -1;
	proto_name(json_object_get_string(v), name, sizeof name); /* "peer-limit" */
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		&meerko__control__torrent_record__descriptor, name);
	return f ? (int)f->id : 0;
}

/* One element of type f->type from v into dst. false: wrong JSON type. */
static bool set_element(const ProtobufCFieldDescriptor *f, void *dst, json_object *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64: return get_int64(v, (int64_t *)dst);
	case PROTOBUF_C_TYPE_BOOL: return get_bool(v, (protobuf_c_boolean *)dst);
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
			return false;
		*(double *)dst = json_object_get_double(v);
		return true;
	case PROTOBUF_C_TYPE_STRING: return (*(char **)dst = get_string(v)) != NULL;
	case PROTOBUF_C_TYPE_ENUM: return (*(int *)dst = torrent_field_value(v)) >= 0;
	default: return false; /* no argument message has other types */
	}
}

static size_t element_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64: return sizeof(int64_t);
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	default: return 0;
	}
}

/* Frees the strings of a repeated string field, its array, and a single
 * string: what an earlier alias of the same key ("a-b" and "a_b") set. */
static void clear_field(const ProtobufCFieldDescriptor *f, uint8_t *msg)
{
	void *member = msg + f->offset;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t *n = (size_t *)(msg + f->quantifier_offset);
		for (size_t i = 0; f->type == PROTOBUF_C_TYPE_STRING && i < *n; i++)
			free((*(char ***)member)[i]);
		free(*(void **)member);
		*(void **)member = NULL;
		*n = 0;
	} else if (f->type == PROTOBUF_C_TYPE_STRING) {
		free(*(char **)member);
		*(char **)member = NULL;
	}
}

/* A JSON array into a repeated field; enum elements 0 (unknown) dropped. */
static bool set_repeated(const ProtobufCFieldDescriptor *f, uint8_t *msg, json_object *v)
{
	if (!json_object_is_type(v, json_type_array))
		return false;
	size_t len = json_object_array_length(v), *n = (size_t *)(msg + f->quantifier_offset);
	uint8_t *arr = calloc(len ? len : 1, element_size(f));
	if (!arr)
		return false;
	*(void **)(msg + f->offset) = arr;
	for (size_t i = 0; i < len; i++) {
		uint8_t *dst = arr + *n * element_size(f);
		if (!set_element(f, dst, json_object_array_get_idx(v, i)))
			return false; /* clear_field or free_unpacked frees the n set ones */
		if (f->type != PROTOBUF_C_TYPE_ENUM || *(int *)dst != 0)
			(*n)++;
	}
	return true;
}

static bool set_field(const ProtobufCFieldDescriptor *f, uint8_t *msg, json_object *v)
{
	clear_field(f, msg);
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return set_repeated(f, msg, v);
	if (!set_element(f, msg + f->offset, v))
		return false;
	if (f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)(msg + f->quantifier_offset) = 1;
	return true;
}

/* "metainfo": base64 text -> TorrentAddArgs.metainfo. */
static bool set_metainfo(Meerko__Control__TorrentAddArgs *a, json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return false;
	free(a->metainfo.data);
	a->metainfo.data = NULL;
	a->has_metainfo = 0;
	if (mk_ctl_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v),
				 &a->metainfo.data, &a->metainfo.len) != 0)
		return false;
	a->has_metainfo = 1;
	return true;
}

/* Copies every known key of args into msg. NULL, or the error result. */
static const char *fill_args(ProtobufCMessage *msg, json_object *args)
{
	json_object_object_foreach(args, key, val) {
		char name[64];
		bool ok;
		if (strcmp(key, "ids") == 0)
			continue; /* typed by parse_ids */
		proto_name(key, name, sizeof name);
		if (msg->descriptor == &meerko__control__torrent_add_args__descriptor &&
		    strcmp(name, "metainfo") == 0) {
			ok = set_metainfo((Meerko__Control__TorrentAddArgs *)msg, val);
		} else {
			const ProtobufCFieldDescriptor *f =
				protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
			if (!f || f->type == PROTOBUF_C_TYPE_BYTES)
				continue; /* unknown arguments are ignored */
			ok = set_field(f, (uint8_t *)msg, val);
		}
		if (!ok)
			return "invalid argument type or value";
	}
	return NULL;
}

/* ------------------------------------------------------------------ ids */

static bool is_hash(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	return n == 40;
}

static bool add_id(Meerko__Control__Ids *ids, json_object *v)
{
	int64_t num;
	if (json_object_is_type(v, json_type_int) && get_int64(v, &num) && num > 0) {
		ids->numbers[ids->n_numbers++] = num;
		return true;
	}
	if (!json_object_is_type(v, json_type_string) || !is_hash(json_object_get_string(v)))
		return false;
	char *h = strdup(json_object_get_string(v));
	if (!h)
		return false;
	for (char *c = h; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	ids->hashes[ids->n_hashes++] = h;
	return true;
}

static bool is_recently_active(json_object *v)
{
	const char *s = json_object_get_string(v);
	return strcmp(s, "recently-active") == 0 || strcmp(s, "recently_active") == 0;
}

/* "ids": a number, a hash, "recently-active", or an array of numbers and
 * hashes. Fills ids (allocated by the caller, freed with the request). */
static bool fill_ids(Meerko__Control__Ids *ids, json_object *v)
{
	bool one = !json_object_is_type(v, json_type_array);
	size_t len = one ? 1 : json_object_array_length(v);
	if (json_object_is_type(v, json_type_string) && is_recently_active(v)) {
		ids->has_recently_active = ids->recently_active = 1;
		return true;
	}
	ids->numbers = calloc(len ? len : 1, sizeof *ids->numbers);
	ids->hashes = calloc(len ? len : 1, sizeof *ids->hashes);
	if (!ids->numbers || !ids->hashes)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!add_id(ids, one ? v : json_object_array_get_idx(v, i)))
			return false;
	return true;
}

/* -------------------------------------------------------------- parsing */

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);
	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

/* A freshly allocated sub-message in req's member `field`. */
static ProtobufCMessage *new_member(ControlRequest *req, const char *field)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(req->base.descriptor, field);
	ProtobufCMessage *m = new_message(f->descriptor);
	*(ProtobufCMessage **)((uint8_t *)req + f->offset) = m;
	return m;
}

static const char *build_request(struct mk_ctl_parsed *p, json_object *args, uint64_t id)
{
	ControlRequest *req = (ControlRequest *)new_message(&meerko__control__control_request__descriptor);
	json_object *ids = NULL;
	if (!req)
		return "out of memory";
	p->req = req;
	req->id = id;
	req->method = p->method->method;
	if (p->method->takes_ids && json_object_object_get_ex(args, "ids", &ids)) {
		req->ids = (Meerko__Control__Ids *)new_member(req, "ids");
		if (!req->ids || !fill_ids(req->ids, ids))
			return "invalid ids";
	}
	if (!p->method->args_field)
		return NULL;
	ProtobufCMessage *a = new_member(req, p->method->args_field);
	return a ? fill_args(a, args) : "out of memory";
}

static json_object *parse_json(const char *body, size_t len)
{
	if (len > INT32_MAX)
		return NULL;
	struct json_tokener *tok = json_tokener_new_ex(MK_CTL_JSON_DEPTH);
	if (!tok)
		return NULL;
	json_object *top = json_tokener_parse_ex(tok, body, (int)len);
	/* the whole body is one value: incomplete or trailing bytes refused */
	if (top && (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(top);
		top = NULL;
	}
	json_tokener_free(tok);
	return top;
}

static void parse_top(struct mk_ctl_parsed *p, json_object *top, uint64_t id)
{
	json_object *method, *tag, *args = NULL;
	if (json_object_object_get_ex(top, "tag", &tag) && json_object_is_type(tag, json_type_int))
		p->has_tag = get_int64(tag, &p->tag);
	if (!json_object_object_get_ex(top, "method", &method) ||
	    !json_object_is_type(method, json_type_string)) {
		p->error = "no method name";
		return;
	}
	p->method = find_method(json_object_get_string(method));
	if (!p->method) {
		p->error = "method name not recognized";
		return;
	}
	if (json_object_object_get_ex(top, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		p->error = "arguments is not an object";
		return;
	}
	json_object *none = args ? NULL : json_object_new_object();
	p->error = build_request(p, args ? args : none, id);
	json_object_put(none);
}

void mk_ctl_parse(const char *body, size_t len, uint64_t id, struct mk_ctl_parsed *p)
{
	memset(p, 0, sizeof *p);
	json_object *top = parse_json(body, len);
	if (!top || !json_object_is_type(top, json_type_object))
		p->error = "malformed JSON request";
	else
		parse_top(p, top, id);
	json_object_put(top);
	if (p->error && p->req) {
		protobuf_c_message_free_unpacked(&p->req->base, NULL);
		p->req = NULL;
	}
}

void mk_ctl_parsed_free(struct mk_ctl_parsed *p)
{
	if (p->req)
		protobuf_c_message_free_unpacked(&p->req->base, NULL);
	p->req = NULL;
}

/* ------------------------------------------------------------ rendering */

/* proto a_b -> JSON "a-b". */
static void json_name(const char *name, char *out, size_t outlen)
{
	size_t i = 0;
	for (; name[i] && i + 1 < outlen; i++)
		out[i] = name[i] == '_' ? '-' : name[i];
	out[i] = '\0';
}

static json_object *render_message(const ProtobufCMessage *m);

static json_object *render_element(const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64: return json_object_new_int64(*(const int64_t *)v);
	case PROTOBUF_C_TYPE_DOUBLE: return json_object_new_double(*(const double *)v);
	case PROTOBUF_C_TYPE_BOOL: return json_object_new_boolean(*(const protobuf_c_boolean *)v);
	case PROTOBUF_C_TYPE_STRING: return json_object_new_string(*(char *const *)v);
	case PROTOBUF_C_TYPE_MESSAGE: return render_message(*(ProtobufCMessage *const *)v);
	default: return NULL; /* no reply message has other types */
	}
}

static json_object *render_repeated(const ProtobufCFieldDescriptor *f, const uint8_t *msg)
{
	size_t n = *(const size_t *)(msg + f->quantifier_offset);
	const uint8_t *arr = *(uint8_t *const *)(msg + f->offset);
	size_t step = f->type == PROTOBUF_C_TYPE_MESSAGE ? sizeof(void *) : element_size(f);
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, render_element(f, arr + i * step));
	return a;
}

/* Set, by protobuf-c's own record of presence. */
static bool field_present(const ProtobufCFieldDescriptor *f, const uint8_t *msg)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return true; /* an empty list is shown as [] */
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)(msg + f->offset) != NULL;
	return *(const protobuf_c_boolean *)(msg + f->quantifier_offset);
}

static void render_field(json_object *o, const ProtobufCFieldDescriptor *f, const uint8_t *msg)
{
	char key[64];
	if (!field_present(f, msg) || f->type == PROTOBUF_C_TYPE_BYTES)
		return;
	json_name(f->name, key, sizeof key);
	json_object_object_add(o, key, f->label == PROTOBUF_C_LABEL_REPEATED
					       ? render_repeated(f, msg)
					       : render_element(f, msg + f->offset));
}

/* Every set field of m. For a message with repeated fields only those the
 * broker filled are meaningful: the torrent renderer filters first. */
static json_object *render_message(const ProtobufCMessage *m)
{
	json_object *o = json_object_new_object();
	for (unsigned i = 0; o && m && i < m->descriptor->n_fields; i++)
		render_field(o, &m->descriptor->fields[i], (const uint8_t *)m);
	return o;
}

static json_object *render_empty(const struct mk_ctl_parsed *p, const ControlReply *r,
				 const char *sid)
{
	(void)p, (void)r, (void)sid;
	return json_object_new_object();
}

/* Asked for: torrent-get's fields list holds f's number. */
static bool requested(const ControlRequest *req, unsigned id)
{
	for (size_t i = 0; req->torrent_get && i < req->torrent_get->n_fields; i++)
		if ((unsigned)req->torrent_get->fields[i] == id)
			return true;
	return false;
}

static json_object *render_record(const ControlRequest *req, const ProtobufCMessage *rec)
{
	json_object *o = json_object_new_object();
	for (unsigned i = 0; o && i < rec->descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &rec->descriptor->fields[i];
		if (requested(req, f->id))
			render_field(o, f, (const uint8_t *)rec);
	}
	return o;
}

/* format "table": one array per record, the requested fields in request
 * order, null where the broker set nothing; header = their names. */
static json_object *render_row(const ControlRequest *req, const ProtobufCMessage *rec)
{
	const Meerko__Control__TorrentGetArgs *g = req->torrent_get;
	json_object *row = json_object_new_array();
	for (size_t i = 0; row && g && i < g->n_fields; i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(rec->descriptor, (unsigned)g->fields[i]);
		json_object *one = f ? json_object_new_object() : NULL;
		json_object *v = NULL;
		char key[64];
		if (one) {
			json_name(f->name, key, sizeof key);
			render_field(one, f, (const uint8_t *)rec);
			json_object_object_get_ex(one, key, &v);
		}
		json_object_array_add(row, v ? json_object_get(v) : NULL);
		json_object_put(one);
	}
	return row;
}

static json_object *table_header(const ControlRequest *req)
{
	const Meerko__Control__TorrentGetArgs *g = req->torrent_get;
	json_object *row = json_object_new_array();
	for (size_t i = 0; row && g && i < g->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
			&meerko__control__torrent_record__descriptor, (unsigned)g->fields[i]);
		char key[64] = "";
		if (f)
			json_name(f->name, key, sizeof key);
		json_object_array_add(row, f ? json_object_new_string(key) : NULL);
	}
	return row;
}

static bool as_table(const ControlRequest *req)
{
	return req->torrent_get && req->torrent_get->format &&
	       strcmp(req->torrent_get->format, "table") == 0;
}

static json_object *render_get(const struct mk_ctl_parsed *p, const ControlReply *r,
			       const char *sid)
{
	(void)sid;
	json_object *args = json_object_new_object(), *list = json_object_new_array();
	const Meerko__Control__TorrentGetReply *g = r->torrent_get;
	bool table = as_table(p->req);
	if (list && table)
		json_object_array_add(list, table_header(p->req));
	for (size_t i = 0; list && g && i < g->n_torrents; i++)
		json_object_array_add(list, table ? render_row(p->req, &g->torrents[i]->base)
						  : render_record(p->req, &g->torrents[i]->base));
	json_object_object_add(args, "torrents", list);
	if (p->req->ids && p->req->ids->recently_active && g) {
		json_object *removed = json_object_new_array();
		for (size_t i = 0; removed && i < g->n_removed; i++)
			json_object_array_add(removed, json_object_new_int64(g->removed[i]));
		json_object_object_add(args, "removed", removed);
	}
	return args;
}

static json_object *render_add(const struct mk_ctl_parsed *p, const ControlReply *r,
			       const char *sid)
{
	(void)p, (void)sid;
	json_object *args = json_object_new_object();
	const Meerko__Control__TorrentAddReply *a = r->torrent_add;
	if (args && a && a->torrent)
		json_object_object_add(args, a->duplicate ? "torrent-duplicate" : "torrent-added",
				       render_message(&a->torrent->base));
	return args;
}

/* session-get: the broker's values, our session id, only the fields asked
 * for when the request names any. */
static json_object *render_session(const struct mk_ctl_parsed *p, const ControlReply *r,
				   const char *sid)
{
	json_object *all = r->session ? render_message(&r->session->base) : json_object_new_object();
	const Meerko__Control__SessionGetArgs *a = p->req->session_get;
	if (all && sid)
		json_object_object_add(all, "session-id", json_object_new_string(sid));
	if (!all || !a || a->n_fields == 0)
		return all;
	json_object *some = json_object_new_object();
	for (size_t i = 0; some && i < a->n_fields; i++) {
		json_object *v;
		if (json_object_object_get_ex(all, a->fields[i], &v))
			json_object_object_add(some, a->fields[i], json_object_get(v));
	}
	json_object_put(all);
	return some;
}

static json_object *render_stats(const struct mk_ctl_parsed *p, const ControlReply *r,
				 const char *sid)
{
	(void)p, (void)sid;
	return r->session_stats ? render_message(&r->session_stats->base) : json_object_new_object();
}

static json_object *render_free_space(const struct mk_ctl_parsed *p, const ControlReply *r,
				      const char *sid)
{
	(void)p, (void)sid;
	return r->free_space ? render_message(&r->free_space->base) : json_object_new_object();
}

static json_object *render_port_test(const struct mk_ctl_parsed *p, const ControlReply *r,
				     const char *sid)
{
	(void)p, (void)sid;
	json_object *args = json_object_new_object();
	bool open = r->port_test && r->port_test->port_is_open;
	if (args)
		json_object_object_add(args, "port-is-open", json_object_new_boolean(open));
	return args;
}

static char *to_text(json_object *top, size_t *len)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(
		top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *out = s ? malloc(n + 1) : NULL;
	if (out) {
		memcpy(out, s, n + 1);
		*len = n;
	}
	return out;
}

char *mk_ctl_render(const struct mk_ctl_parsed *p, const ControlReply *reply,
		    const char *session_id, size_t *len)
{
	const char *result = p->error ? p->error : reply && reply->result ? reply->result : "success";
	bool ok = !p->error && reply && !reply->result;
	json_object *top = json_object_new_object();
	if (!top)
		return NULL;
	json_object_object_add(top, "arguments", ok ? p->method->render(p, reply, session_id)
						    : json_object_new_object());
	json_object_object_add(top, "result", json_object_new_string(result));
	if (p->has_tag)
		json_object_object_add(top, "tag", json_object_new_int64(p->tag));
	char *out = to_text(top, len);
	json_object_put(top);
	return out;
}
