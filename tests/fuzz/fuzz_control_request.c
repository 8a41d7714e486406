/*
 * fuzz_control_request.c - meerko-control's JSON -> ControlRequest path
 * (control/control_methods.c), the part of it that any local process and
 * any web page (DNS rebinding) reaches with bytes of its choosing.
 *
 * The input is one HTTP request body. It goes the way control_http.c's
 * serve() takes it: mk_ctl_parse, then (when no error) a reply from the
 * "broker" and mk_ctl_render. Oracle, beyond ASan/UBSan/LeakSanitizer and
 * run.sh's malloc limit:
 *  - exactly one of error and request is set;
 *  - a request passes protobuf_c_message_check and survives pack/unpack;
 *    its ids are positive numbers and 40-digit lowercase hashes; its
 *    torrent-get fields are known TorrentField values;
 *  - the response parses as a JSON object whose "result" is the error (or
 *    "success"), and each torrent record holds only requested fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "control_methods.h"

static void check_ids(const Meerko__Control__Ids *ids)
{
	for (size_t i = 0; ids && i < ids->n_numbers; i++)
		if (ids->numbers[i] <= 0)
			abort();
	for (size_t i = 0; ids && i < ids->n_hashes; i++) {
		const char *h = ids->hashes[i];
		if (strlen(h) != 40 || strspn(h, "0123456789abcdef") != 40)
			abort();
	}
}

static void check_request(const Meerko__Control__ControlRequest *q)
{
	if (!protobuf_c_message_check(&q->base))
		abort();
	check_ids(q->ids);
	for (size_t i = 0; q->torrent_get && i < q->torrent_get->n_fields; i++)
		if (!protobuf_c_enum_descriptor_get_value(&meerko__control__torrent_field__descriptor,
							  q->torrent_get->fields[i]) ||
		    q->torrent_get->fields[i] == 0)
			abort();
	size_t n = meerko__control__control_request__get_packed_size(q);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || meerko__control__control_request__pack(q, buf) != n)
		abort();
	Meerko__Control__ControlRequest *back = meerko__control__control_request__unpack(NULL, n, buf);
	if (!back || back->method != q->method)
		abort();
	meerko__control__control_request__free_unpacked(back, NULL);
	free(buf);
}

/* What a broker might answer: one record with several fields set. */
static void fill_reply(Meerko__Control__ControlReply *r, Meerko__Control__TorrentGetReply *g,
		       Meerko__Control__TorrentRecord *rec, Meerko__Control__TorrentRecord **ptr)
{
	rec->has_id = rec->has_status = rec->has_percentdone = 1;
	rec->id = 1;
	rec->status = 4;
	rec->percentdone = 0.5;
	rec->name = "name";
	rec->hashstring = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	*ptr = rec;
	g->torrents = ptr;
	g->n_torrents = 1;
	r->torrent_get = g;
}

static bool requested(const Meerko__Control__ControlRequest *q, const char *key)
{
	char name[64];
	size_t i = 0;
	for (; key[i] && i + 1 < sizeof name; i++)
		name[i] = key[i] == '-' ? '_' : key[i]; /* "peer-limit" is peer_limit */
	name[i] = '\0';
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		&meerko__control__torrent_record__descriptor, name);
	for (size_t k = 0; f && q->torrent_get && k < q->torrent_get->n_fields; k++)
		if ((unsigned)q->torrent_get->fields[k] == f->id)
			return true;
	return false;
}

static void check_response(const struct mk_ctl_parsed *p, const char *out, size_t len)
{
	json_object *top = json_tokener_parse(out), *result, *args, *list;
	if (!top || strlen(out) != len || !json_object_object_get_ex(top, "result", &result) ||
	    !json_object_is_type(result, json_type_string))
		abort();
	if (strcmp(json_object_get_string(result), p->error ? p->error : "success") != 0)
		abort();
	if (p->req && p->req->method == MEERKO__CONTROL__METHOD__TORRENT_GET &&
	    json_object_object_get_ex(top, "arguments", &args) &&
	    json_object_object_get_ex(args, "torrents", &list)) {
		json_object *rec = json_object_array_get_idx(list, 0);
		if (!json_object_is_type(rec, json_type_object)) { /* format "table" */
			json_object_put(top);
			return;
		}
		json_object_object_foreach(rec, key, val) {
			(void)val;
			if (!requested(p->req, key))
				abort();
		}
	}
	json_object_put(top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__TorrentGetReply g = MEERKO__CONTROL__TORRENT_GET_REPLY__INIT;
	Meerko__Control__TorrentRecord rec = MEERKO__CONTROL__TORRENT_RECORD__INIT, *ptr;
	size_t len = 0;
	mk_ctl_parse((const char *)data, size, 7, &p);
	if (!p.error == !p.req)
		abort();
	if (p.req)
		check_request(p.req);
	r.id = 7;
	fill_reply(&r, &g, &rec, &ptr);
	char *out = mk_ctl_render(&p, p.error ? NULL : &r, "0123", &len);
	if (out)
		check_response(&p, out, len);
	free(out);
	mk_ctl_parsed_free(&p);
	return 0;
}
