// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CTAPHID transport of the software authenticator, exposed as libfido2 io
 * callbacks (fido_dev_io_t): 64-byte reports in both directions (a leading report
 * id byte 0 on writes is accepted), INIT with channel allocation, PING, WINK,
 * CBOR, CANCEL, KEEPALIVE (PROCESSING during a keepalive storm, UPNEEDED while it
 * waits for a touch) and ERROR frames.
 *
 * Waiting is done inside read(): the host's timeout (ms) bounds every read, so a
 * touch that never comes ends with the host's timeout, a CANCEL written from
 * another thread (answered with CTAP2_ERR_KEEPALIVE_CANCEL), or the
 * authenticator's own touch_timeout_ms (CTAP2_ERR_ACTION_TIMEOUT).
 *
 * MUST: no request makes the device block forever: read() returns within the
 *       host's timeout, and with no timeout it returns at once when nothing is
 *       pending.
 * MUST: messages longer than 7609 bytes, bad sequence numbers and stray frames are
 *       answered with CTAPHID errors or dropped, never buffered without bound.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "softkey.h"

#define HID_RPT 64u
#define CID_BROADCAST 0xffffffffu
#define CMD_PING 0x01
#define CMD_MSG 0x03
#define CMD_LOCK 0x04
#define CMD_INIT 0x06
#define CMD_WINK 0x08
#define CMD_CBOR 0x10
#define CMD_CANCEL 0x11
#define CMD_KEEPALIVE 0x3b
#define CMD_ERROR 0x3f
#define ERR_INVALID_CMD 0x01
#define ERR_INVALID_LEN 0x03
#define ERR_INVALID_SEQ 0x04
#define ERR_CHANNEL_BUSY 0x06
#define ERR_INVALID_CHANNEL 0x0b
#define KA_PROCESSING 1
#define KA_UPNEEDED 2
#define KA_INTERVAL_MS 100
#define STORM_INTERVAL_MS 2
#define OUTQ_MAX 512u /* frames; a full response is at most 129 */
#define CAPS 0x0d     /* WINK | CBOR | NMSG */

struct softkey {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct softkey_session sess;
	uint32_t next_cid;
	/* request being reassembled */
	bool rx_busy;
	uint32_t rx_cid;
	uint8_t rx_cmd, rx_seq;
	size_t rx_total, rx_got;
	uint8_t rx_buf[SOFTKEY_MSG_MAX];
	/* frames waiting to be read */
	uint8_t outq[OUTQ_MAX][HID_RPT];
	size_t out_head, out_n;
	/* a CBOR request waiting for its keepalives and touch */
	bool job_active, cancelled;
	uint32_t job_cid;
	struct softkey_job job;
	struct timespec job_start, next_ka;
	uint8_t resp[SOFTKEY_MSG_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ts_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *out_slot(struct softkey *k)
{
	uint8_t *f;

	if (k->out_n >= OUTQ_MAX)
		return NULL;
	f = k->outq[(k->out_head + k->out_n) % OUTQ_MAX];
	k->out_n++;
	memset(f, 0, HID_RPT);
	return f;
}

/* Queues a whole message as one init frame and its continuation frames. */
static void send_msg(struct softkey *k, uint32_t cid, uint8_t cmd, const uint8_t *p, size_t n)
{
	uint8_t *f;
	size_t off, chunk;
	uint8_t seq = 0;

	if (n > SOFTKEY_MSG_MAX || (f = out_slot(k)) == NULL)
		return;
	put32(f, cid);
	f[4] = 0x80 | cmd;
	f[5] = (uint8_t)(n >> 8);
	f[6] = (uint8_t)n;
	chunk = n < HID_RPT - 7 ? n : HID_RPT - 7;
	if (chunk > 0)
		memcpy(f + 7, p, chunk);
	for (off = chunk; off < n; off += chunk) {
		if ((f = out_slot(k)) == NULL)
			return;
		put32(f, cid);
		f[4] = seq++;
		chunk = n - off < HID_RPT - 5 ? n - off : HID_RPT - 5;
		memcpy(f + 5, p + off, chunk);
	}
}

static void send_err(struct softkey *k, uint32_t cid, uint8_t err)
{
	send_msg(k, cid, CMD_ERROR, &err, 1);
}

static void job_drop(struct softkey *k)
{
	if (k->job_active)
		softkey_job_clear(&k->job);
	k->job_active = false;
	k->cancelled = false;
}

static void dispatch(struct softkey *k, uint32_t cid, uint8_t cmd, const uint8_t *p, size_t n)
{
	size_t rl = 0;
	int r;

	switch (cmd) {
	case CMD_PING:
		send_msg(k, cid, CMD_PING, p, n);
		break;
	case CMD_WINK:
	case CMD_LOCK:
		send_msg(k, cid, cmd, NULL, 0);
		break;
	case CMD_CBOR:
		r = softkey_ctap2_request(&k->sess, p, n, &k->job, k->resp, &rl);
		if (r == 1) {
			k->job_active = true;
			k->cancelled = false;
			k->job_cid = cid;
			clock_gettime(CLOCK_MONOTONIC, &k->job_start);
			k->next_ka = k->job_start;
		} else {
			send_msg(k, cid, CMD_CBOR, k->resp, rl);
		}
		break;
	case CMD_MSG: /* no U2F */
	default:
		send_err(k, cid, ERR_INVALID_CMD);
		break;
	}
}

static void handle_init(struct softkey *k, uint32_t cid, const uint8_t *f)
{
	uint8_t cmd = f[4] & 0x7f, resp[17];
	size_t bcnt = (size_t)f[5] << 8 | f[6];
	uint32_t ncid;

	if (cid == 0) {
		send_err(k, cid, ERR_INVALID_CHANNEL);
		return;
	}
	if (cmd == CMD_CANCEL) { /* no answer of its own */
		if (k->job_active && k->job_cid == cid)
			k->cancelled = true;
		return;
	}
	if (cmd == CMD_INIT) {
		if (bcnt != 8) {
			send_err(k, cid, ERR_INVALID_LEN);
			return;
		}
		if (k->rx_busy && k->rx_cid == cid)
			k->rx_busy = false;
		if (k->job_active && k->job_cid == cid)
			job_drop(k);
		ncid = cid;
		if (cid == CID_BROADCAST) {
			ncid = k->next_cid++;
			if (k->next_cid == CID_BROADCAST || k->next_cid == 0)
				k->next_cid = 1;
		}
		memcpy(resp, f + 7, 8);
		put32(resp + 8, ncid);
		resp[12] = 2; /* CTAPHID protocol version */
		resp[13] = 1; /* device version */
		resp[14] = 0;
		resp[15] = 0;
		resp[16] = CAPS;
		send_msg(k, cid, CMD_INIT, resp, sizeof(resp));
		return;
	}
	if (cid == CID_BROADCAST) {
		send_err(k, cid, ERR_INVALID_CHANNEL);
		return;
	}
	if (k->rx_busy) {
		if (k->rx_cid != cid) {
			send_err(k, cid, ERR_CHANNEL_BUSY);
		} else {
			k->rx_busy = false;
			send_err(k, cid, ERR_INVALID_SEQ);
		}
		return;
	}
	if (k->job_active) {
		if (k->job_cid != cid) {
			send_err(k, cid, ERR_CHANNEL_BUSY);
			return;
		}
		job_drop(k); /* the host gave up waiting: a new request replaces it */
	}
	if (bcnt > SOFTKEY_MSG_MAX) {
		send_err(k, cid, ERR_INVALID_LEN);
		return;
	}
	k->rx_cid = cid;
	k->rx_cmd = cmd;
	k->rx_total = bcnt;
	k->rx_got = bcnt < HID_RPT - 7 ? bcnt : HID_RPT - 7;
	k->rx_seq = 0;
	memcpy(k->rx_buf, f + 7, k->rx_got);
	if (k->rx_got == k->rx_total)
		dispatch(k, cid, cmd, k->rx_buf, k->rx_total);
	else
		k->rx_busy = true;
}

static void handle_frame(struct softkey *k, const uint8_t *f)
{
	uint32_t cid = get32(f);
	size_t chunk;

	if (f[4] & 0x80) {
		handle_init(k, cid, f);
		return;
	}
	if (!k->rx_busy || cid != k->rx_cid)
		return; /* a stray continuation frame is ignored */
	if (f[4] != k->rx_seq) {
		k->rx_busy = false;
		send_err(k, cid, ERR_INVALID_SEQ);
		return;
	}
	chunk = k->rx_total - k->rx_got;
	if (chunk > HID_RPT - 5)
		chunk = HID_RPT - 5;
	memcpy(k->rx_buf + k->rx_got, f + 5, chunk);
	k->rx_got += chunk;
	k->rx_seq++;
	if (k->rx_got == k->rx_total) {
		k->rx_busy = false;
		dispatch(k, cid, k->rx_cmd, k->rx_buf, k->rx_total);
	}
}

/* Advances the waiting job; returns the time (ms, monotonic) it next needs a look. */
static int64_t job_step(struct softkey *k, int64_t now)
{
	int64_t start = ts_ms(&k->job_start), storm_end, touch_at, expire, next;
	size_t rl = 0;
	uint8_t st, ka;

	storm_end = start + k->job.storm_ms;
	touch_at = !k->job.need_touch ? storm_end
		   : k->job.no_touch  ? INT64_MAX
				      : storm_end + k->job.touch_delay_ms;
	expire = k->job.need_touch ? start + k->job.touch_timeout_ms : INT64_MAX;
	if (k->cancelled || (now >= expire && now < touch_at)) {
		st = k->cancelled ? CTAP2_ERR_KEEPALIVE_CANCEL : CTAP2_ERR_ACTION_TIMEOUT;
		send_msg(k, k->job_cid, CMD_CBOR, &st, 1);
		job_drop(k);
		return INT64_MAX;
	}
	if (now >= touch_at) {
		softkey_ctap2_complete(&k->sess, &k->job, k->resp, &rl);
		send_msg(k, k->job_cid, CMD_CBOR, k->resp, rl);
		job_drop(k);
		return INT64_MAX;
	}
	if (now >= ts_ms(&k->next_ka)) {
		bool storm = now < storm_end;
		int64_t nk = now + (storm ? STORM_INTERVAL_MS : KA_INTERVAL_MS);
		ka = storm ? KA_PROCESSING : KA_UPNEEDED;
		send_msg(k, k->job_cid, CMD_KEEPALIVE, &ka, 1);
		k->next_ka.tv_sec = nk / 1000;
		k->next_ka.tv_nsec = (nk % 1000) * 1000000;
	}
	next = ts_ms(&k->next_ka);
	if (touch_at < next)
		next = touch_at;
	if (expire < next)
		next = expire;
	return next;
}

/*
 * io open: path "softkey:0" (or any "softkey:" path not starting with '/') uses the
 * state file named by $SOFTKEY_STATE; "softkey:/abs/file" uses that file. The file
 * must load. Returns the handle or NULL.
 */
void *softkey_open(const char *path)
{
	struct softkey_state st;
	pthread_condattr_t ca;
	const char *file;
	struct softkey *k;

	if (path == NULL || strncmp(path, SOFTKEY_PATH_PREFIX, strlen(SOFTKEY_PATH_PREFIX)) != 0)
		return NULL;
	file = path + strlen(SOFTKEY_PATH_PREFIX);
	if (file[0] != '/')
		file = getenv(SOFTKEY_ENV_STATE);
	if (file == NULL || file[0] == '\0' || softkey_state_load(file, &st) < 0)
		return NULL;
	softkey_state_wipe(&st);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if (softkey_session_init(&k->sess, file) < 0) {
		free(k);
		return NULL;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cv, &ca);
	pthread_condattr_destroy(&ca);
	k->next_cid = 0x5c000001;
	return k;
}

void softkey_close(void *handle)
{
	struct softkey *k = handle;

	if (k == NULL)
		return;
	job_drop(k);
	softkey_session_clear(&k->sess);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	memset(k->rx_buf, 0, sizeof(k->rx_buf));
	memset(k->resp, 0, sizeof(k->resp));
	free(k);
}

/* io write: one report (64 bytes, or 65 with a leading report id 0). */
int softkey_write(void *handle, const unsigned char *buf, size_t len)
{
	struct softkey *k = handle;

	if (k == NULL || buf == NULL)
		return -1;
	if (len == HID_RPT + 1 && buf[0] == 0) {
		buf++;
	} else if (len != HID_RPT) {
		return -1;
	}
	pthread_mutex_lock(&k->mu);
	handle_frame(k, buf);
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	return (int)len;
}

/*
 * io read: the next 64-byte report. Waits at most ms milliseconds (ms < 0: as long
 * as a request is pending) and returns -1 on timeout or when nothing is pending.
 */
int softkey_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	struct softkey *k = handle;
	int64_t deadline, now, until;
	struct timespec ts;
	int r = -1;

	if (k == NULL || buf == NULL || len < HID_RPT)
		return -1;
	deadline = ms < 0 ? INT64_MAX : now_ms() + ms;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		if (k->out_n > 0) {
			memcpy(buf, k->outq[k->out_head], HID_RPT);
			k->out_head = (k->out_head + 1) % OUTQ_MAX;
			k->out_n--;
			r = HID_RPT;
			break;
		}
		now = now_ms();
		if (!k->job_active)
			break; /* nothing will ever come */
		until = job_step(k, now);
		if (k->out_n > 0)
			continue;
		if (now >= deadline)
			break;
		if (deadline < until)
			until = deadline;
		if (until == INT64_MAX)
			continue;
		ts.tv_sec = until / 1000;
		ts.tv_nsec = (until % 1000) * 1000000;
		(void)pthread_cond_timedwait(&k->cv, &k->mu, &ts);
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

const fido_dev_io_t softkey_io = {
    .open = softkey_open,
    .close = softkey_close,
    .read = softkey_read,
    .write = softkey_write,
};
