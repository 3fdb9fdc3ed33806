/*
 * res_json.h - a tiny JSON writer for meta.json and `nanobench run --json`.
 *
 * Owns: escaping and the comma bookkeeping of objects and arrays, nothing
 * else (no parser: the suite never reads JSON back).
 */
#ifndef RES_JSON_H
#define RES_JSON_H

#include <stdio.h>

struct res_json {
	FILE *f;
	int depth;
	int first[32];          /* per open container: nothing written yet */
	int pretty;
};

void res_json_init(struct res_json *j, FILE *f, int pretty);
void res_json_obj(struct res_json *j, const char *key);   /* key NULL inside arrays/top */
void res_json_arr(struct res_json *j, const char *key);
void res_json_end_obj(struct res_json *j);
void res_json_end_arr(struct res_json *j);
void res_json_str(struct res_json *j, const char *key, const char *v);  /* v NULL -> null */
void res_json_num(struct res_json *j, const char *key, double v);       /* NaN -> null */
void res_json_int(struct res_json *j, const char *key, long long v);
void res_json_bool(struct res_json *j, const char *key, int v);
/* Write a string with JSON escapes, quotes included. */
void res_json_escape(FILE *f, const char *s);

#endif
