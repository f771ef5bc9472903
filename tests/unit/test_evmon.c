// SPDX-License-Identifier: Apache-2.0
/*
 * test_evmon.c - the event monitor: line format and escaping, a file and
 * a pipe as the stream, emitters on several threads never interleaving,
 * and a stalled reader never blocking an emitter.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "vmm/evmon.h"
#include "vmm/log.h"

static void test_format(void **state)
{
	const char *kv[] = { "id", "_disk0", "why", "a\"b\\c\n\x01" };
	char out[512];
	int n;

	n = evmon_format(out, sizeof(out), 3000000123ull, "vm", "booted", NULL,
			 0);
	assert_int_equal(n, (int)strlen(out));
	assert_string_equal(out, "{\"timestamp\":{\"secs\":3,\"nanos\":123},"
				 "\"source\":\"vm\",\"event\":\"booted\","
				 "\"properties\":null}\n");
	n = evmon_format(out, sizeof(out), 5, "virtio-device", "activated", kv,
			 4);
	assert_true(n > 0);
	assert_string_equal(
		out, "{\"timestamp\":{\"secs\":0,\"nanos\":5},"
		     "\"source\":\"virtio-device\",\"event\":\"activated\","
		     "\"properties\":{\"id\":\"_disk0\","
		     "\"why\":\"a\\\"b\\\\c\\n\\u0001\"}}\n");
	/* Too small: refused, never truncated mid-object. */
	assert_int_equal(evmon_format(out, 40, 0, "vm", "booted", NULL, 0),
			 -ENOSPC);
	assert_int_equal(evmon_format(out, 90, 0, "vm", "booted", kv, 4),
			 -ENOSPC);
}

static void test_null_safe(void **state)
{
	struct endpoint_config ep = { .path = NULL, .fd = -1 };
	struct evmon *m = (struct evmon *)1;
	char err[128];

	assert_int_equal(evmon_open(&ep, &m, err, sizeof(err)), 0);
	assert_null(m);
	evmon_emit(NULL, "vm", "booted", NULL);
	assert_int_equal(evmon_dropped(NULL), 0);
	evmon_close(NULL);
}

static void test_file(void **state)
{
	char path[] = "/tmp/nimbus-evmon-XXXXXX", err[128], buf[4096];
	struct endpoint_config ep = { .path = path, .fd = -1 };
	struct evmon *m;
	json_error_t je;
	json_t *j;
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old contents\n", 13), 13);
	close(fd);
	assert_int_equal(evmon_open(&ep, &m, err, sizeof(err)), 0);
	evmon_emit(m, "vmm", "starting", NULL);
	evmon_emit(m, "guest", "panic", "code", "1", NULL);
	evmon_close(m);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	/* Truncated on open; two lines, each a JSON object. */
	assert_null(strstr(buf, "old contents"));
	j = json_loads(strtok(buf, "\n"), 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "starting");
	json_decref(j);
	j = json_loads(strtok(NULL, "\n"), 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "properties"), "code")),
			    "1");
	json_decref(j);
	assert_null(strtok(NULL, "\n"));

	ep.path = (char *)"/nonexistent-dir/evmon";
	assert_int_equal(evmon_open(&ep, &m, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-dir/evmon"));
}

struct emitter {
	struct evmon *m;
	int id;
};

static void *emit_many(void *arg)
{
	struct emitter *e = arg;
	char id[16], seq[16];
	int i;

	snprintf(id, sizeof(id), "%d", e->id);
	for (i = 0; i < 200; i++) {
		snprintf(seq, sizeof(seq), "%d", i);
		evmon_emit(e->m, "virtio-device", "activated", "thread", id,
			   "seq", seq, NULL);
	}
	return NULL;
}

/* Four threads, 800 events through a pipe: every line parses, and each
 * thread's events arrive complete and in order. */
static void test_threads_pipe(void **state)
{
	struct endpoint_config ep = { .path = NULL };
	struct emitter e[4];
	pthread_t t[4];
	int p[2], next[4] = { 0 }, lines = 0, i;
	struct evmon *m;
	char err[128], *buf, *line, *save;
	size_t cap = 1 << 20, len = 0;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETPIPE_SZ, 1 << 20) > 0, 1);
	ep.fd = p[1];
	assert_int_equal(evmon_open(&ep, &m, err, sizeof(err)), 0);
	for (i = 0; i < 4; i++) {
		e[i] = (struct emitter){ m, i };
		pthread_create(&t[i], NULL, emit_many, &e[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(evmon_dropped(m), 0);
	evmon_close(m); /* closes the write end */
	buf = malloc(cap);
	while ((n = read(p[0], buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL), *pr;
		int th, seq;

		assert_non_null(j);
		pr = json_object_get(j, "properties");
		th = atoi(json_string_value(json_object_get(pr, "thread")));
		seq = atoi(json_string_value(json_object_get(pr, "seq")));
		assert_true(th >= 0 && th < 4);
		assert_int_equal(seq, next[th]);
		next[th]++;
		lines++;
		json_decref(j);
	}
	assert_int_equal(lines, 800);
	free(buf);
}

/* Nobody reads the pipe: emitting goes on at full speed, events that do
 * not fit are dropped and counted. */
static void test_stalled_reader(void **state)
{
	struct endpoint_config ep = { .path = NULL };
	struct timespec a, b;
	struct evmon *m;
	char err[128];
	int p[2], i;

	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETPIPE_SZ, 4096);
	ep.fd = p[1];
	assert_int_equal(evmon_open(&ep, &m, err, sizeof(err)), 0);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 1000; i++)
		evmon_emit(m, "vm", "paused", NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(evmon_dropped(m) > 900);
	assert_true(b.tv_sec - a.tv_sec < 5);
	evmon_close(m);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_null_safe),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_threads_pipe),
		cmocka_unit_test(test_stalled_reader),
	};

	log_init_clock();
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("evmon", tests, NULL, NULL);
}
