// SPDX-License-Identifier: Apache-2.0
/*
 * i8042.c - PS/2 controller without devices: reset line and probe answers.
 *
 * Command and bit meanings follow the IBM PC/AT keyboard controller
 * documentation; what Linux's driver checks is noted where it matters.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "i8042"
#include "devices/i8042.h"
#include "vmm/log.h"

#define I8042_CMD_OFF 4 /* 0x64 relative to 0x60 */

/* Status register. */
#define STR_OBF 0x01
#define STR_IBF 0x02 /* never set: commands complete instantly */
#define STR_SYS 0x04
#define STR_CMD 0x08 /* last write went to the command port */
#define STR_UNLOCK 0x10 /* keyboard not inhibited by the key lock */
#define STR_AUXDATA 0x20 /* output buffer holds AUX data */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
/* What a BIOS leaves after POST: translation, system flag, kbd irq. */
#define CTR_POWER_ON (CTR_XLATE | CTR_SYS | CTR_KBDINT)

#define OUTP_RESET 0x01 /* active low CPU reset */
#define OUTP_A20 0x02
#define OUTP_POWER_ON (OUTP_RESET | OUTP_A20)

/* Controller commands. */
#define CMD_READ_RAM 0x20 /* 0x20-0x3f */
#define CMD_WRITE_RAM 0x60 /* 0x60-0x7f */
#define CMD_PASSWD_TEST 0xa4
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_OUTP 0xd0
#define CMD_WRITE_OUTP 0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX 0xd4
#define CMD_A20_OFF 0xdd
#define CMD_A20_ON 0xdf
#define CMD_READ_TEST 0xe0
#define CMD_PULSE 0xf0 /* 0xf0-0xff: low nibble 0 bits pulse lines */

#define RET_SELF_TEST_OK 0x55
#define RET_IFACE_OK 0x00
#define RET_NO_PASSWD 0xf1

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_cfg cfg;

	uint8_t ram[32]; /* ram[0] is the command byte */
	uint8_t outp;
	uint8_t obuf;
	bool obf, obuf_aux;
	bool last_cmd; /* STR_CMD */
	uint8_t pending; /* command waiting for its data byte, or 0 */

	struct log_rl rl;
};

static void reset_locked(struct i8042 *d)
{
	memset(d->ram, 0, sizeof(d->ram));
	d->ram[0] = CTR_POWER_ON;
	d->outp = OUTP_POWER_ON;
	d->obuf = 0;
	d->obf = false;
	d->obuf_aux = false;
	d->last_cmd = false;
	d->pending = 0;
}

/* One-byte output buffer; a new reply replaces an unread one. */
static void obuf_put(struct i8042 *d, uint8_t v, bool aux)
{
	d->obuf = v;
	d->obf = true;
	d->obuf_aux = aux;
}

static uint8_t status(const struct i8042 *d)
{
	uint8_t s = STR_UNLOCK;

	if (d->obf)
		s |= STR_OBF;
	if (d->obf && d->obuf_aux)
		s |= STR_AUXDATA;
	if (d->ram[0] & CTR_SYS)
		s |= STR_SYS;
	if (d->last_cmd)
		s |= STR_CMD;
	return s;
}

/* Returns true if the CPU reset line was pulsed. */
static bool command(struct i8042 *d, uint8_t cmd)
{
	d->pending = 0; /* a new command aborts a half-written one */
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + 32) {
		obuf_put(d, d->ram[cmd - CMD_READ_RAM], false);
		return false;
	}
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 32) {
		d->pending = cmd;
		return false;
	}
	if (cmd >= CMD_PULSE)
		return !(cmd & OUTP_RESET);

	switch (cmd) {
	case CMD_PASSWD_TEST:
		obuf_put(d, RET_NO_PASSWD, false);
		break;
	case CMD_AUX_DISABLE:
		d->ram[0] |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		d->ram[0] &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		obuf_put(d, RET_IFACE_OK, false);
		break;
	case CMD_SELF_TEST:
		d->ram[0] |= CTR_SYS;
		obuf_put(d, RET_SELF_TEST_OK, false);
		break;
	case CMD_KBD_DISABLE:
		d->ram[0] |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		d->ram[0] &= ~CTR_KBDDIS;
		break;
	case CMD_READ_OUTP:
		obuf_put(d, d->outp, false);
		break;
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD_OBUF:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		d->pending = cmd;
		break;
	case CMD_A20_OFF:
		d->outp &= ~OUTP_A20;
		break;
	case CMD_A20_ON:
		d->outp |= OUTP_A20;
		break;
	case CMD_READ_TEST:
		obuf_put(d, 0, false);
		break;
	default:
		log_ratelimited(&d->rl, LOG_DEBUG, "unsupported command %#x",
				cmd);
		break;
	}
	return false;
}

/* Returns true if the CPU reset line was driven low. */
static bool data_write(struct i8042 *d, uint8_t v)
{
	uint8_t cmd = d->pending;

	d->pending = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 32) {
		d->ram[cmd - CMD_WRITE_RAM] = v;
		return false;
	}
	switch (cmd) {
	case CMD_WRITE_OUTP:
		d->outp = v;
		return !(v & OUTP_RESET);
	case CMD_WRITE_KBD_OBUF:
		obuf_put(d, v, false);
		break;
	case CMD_WRITE_AUX_OBUF:
		obuf_put(d, v, true);
		break;
	default:
		/* To the keyboard (no command) or the mouse (0xD4): neither
		 * is attached, so nothing answers. */
		log_ratelimited(&d->rl, LOG_DEBUG,
				"byte %#x to absent %s dropped", v,
				cmd == CMD_WRITE_AUX ? "mouse" : "keyboard");
		break;
	}
	return false;
}

static int i8042_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct i8042 *d = opaque;
	uint8_t *p = data;

	if (len != 1)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (off == I8042_CMD_OFF) {
		*p = status(d);
	} else {
		/* Reading an empty buffer returns the stale byte. */
		*p = d->obuf;
		d->obf = false;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int i8042_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct i8042 *d = opaque;
	const uint8_t *p = data;
	bool do_reset;

	if (len != 1)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->last_cmd = off == I8042_CMD_OFF;
	if (off == I8042_CMD_OFF)
		do_reset = command(d, *p);
	else
		do_reset = data_write(d, *p);
	pthread_mutex_unlock(&d->lock);
	if (do_reset && d->cfg.reset)
		d->cfg.reset(d->cfg.opaque);
	return 0;
}

static int data_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	return i8042_read(opaque, 0, data, len);
}

static int data_write_op(void *opaque, uint64_t off, const void *data,
			 uint32_t len)
{
	return i8042_write(opaque, 0, data, len);
}

static int cmd_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	return i8042_read(opaque, I8042_CMD_OFF, data, len);
}

static int cmd_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	return i8042_write(opaque, I8042_CMD_OFF, data, len);
}

static const struct io_ops i8042_data_ops = {
	.read = data_read,
	.write = data_write_op,
	.min_len = 1,
	.max_len = 1,
};

static const struct io_ops i8042_cmd_ops = {
	.read = cmd_read,
	.write = cmd_write,
	.min_len = 1,
	.max_len = 1,
};

int i8042_create(const struct i8042_cfg *cfg, struct i8042 **out)
{
	struct i8042 *d;

	if (!cfg || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (pthread_mutex_init(&d->lock, NULL)) {
		free(d);
		return -ENOMEM;
	}
	d->cfg = *cfg;
	reset_locked(d);
	*out = d;
	return 0;
}

int i8042_attach(struct i8042 *d, struct bus *pio, uint16_t base)
{
	int ret;

	if (base > UINT16_MAX - I8042_CMD_OFF)
		return -EINVAL;
	ret = bus_register(pio, base, 1, &i8042_data_ops, d, "i8042-data");
	if (ret)
		return ret;
	ret = bus_register(pio, base + I8042_CMD_OFF, 1, &i8042_cmd_ops, d,
			   "i8042-cmd");
	if (ret)
		goto err_data;
	return 0;

err_data:
	bus_unregister(pio, base);
	return ret;
}

void i8042_destroy(struct i8042 *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void i8042_reset(struct i8042 *d)
{
	pthread_mutex_lock(&d->lock);
	reset_locked(d);
	pthread_mutex_unlock(&d->lock);
}
