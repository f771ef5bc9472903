// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_net.c - virtio-net device model: setup, config space, features,
 * activation and reset, and the receive threads' life cycle.  The data
 * paths are in net_rx.c and net_tx.c, the control queue in net_ctrl.c.
 */
#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOG_MOD "virtio-net"
#include "devices/virtio/net_priv.h"
#include "vmm/log.h"

#define VNET_PCI_CLASS 0x020000 /* network controller, Ethernet */

/* ---- helpers shared by the data paths ---- */

uint32_t vnet_chain_copy(const struct vq_chain *c, int writable, uint32_t off,
			 void *buf, uint32_t len, int to_chain)
{
	uint8_t *p = buf;
	uint32_t done = 0;
	uint16_t i;

	for (i = 0; i < c->nr && done < len; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t n;

		if (!!b->write != !!writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (to_chain)
			memcpy((uint8_t *)b->addr + off, p + done, n);
		else
			memcpy(p + done, (uint8_t *)b->addr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

unsigned int vnet_tun_offloads(uint64_t f)
{
	unsigned int t = 0;

	if (!(f & 1ull << VIRTIO_NET_F_GUEST_CSUM))
		return 0; /* every other offload needs checksum offload */
	t |= TUN_F_CSUM;
	if (f & 1ull << VIRTIO_NET_F_GUEST_TSO4)
		t |= TUN_F_TSO4;
	if (f & 1ull << VIRTIO_NET_F_GUEST_TSO6)
		t |= TUN_F_TSO6;
	if ((f & 1ull << VIRTIO_NET_F_GUEST_ECN) &&
	    (t & (TUN_F_TSO4 | TUN_F_TSO6)))
		t |= TUN_F_TSO_ECN;
	if (f & 1ull << VIRTIO_NET_F_GUEST_UFO)
		t |= TUN_F_UFO;
	return t;
}

void vnet_wake(struct vnet_pair *p)
{
	(void)eventfd_write(p->efd, 1);
}

/* ---- setup ---- */

static const char *const vnet_ctr_names[VNET_NR_CTR] = {
	[VNET_CTR_RX_BYTES] = DEV_CTR_RX_BYTES,
	[VNET_CTR_RX_FRAMES] = DEV_CTR_RX_FRAMES,
	[VNET_CTR_TX_BYTES] = DEV_CTR_TX_BYTES,
	[VNET_CTR_TX_FRAMES] = DEV_CTR_TX_FRAMES,
	[VNET_CTR_RX_DROPPED] = "rx_dropped",
	[VNET_CTR_TX_DROPPED] = "tx_dropped",
	[VNET_CTR_CTRL_ERRORS] = "ctrl_errors",
};

/* One line for the caller of the setup functions (errmsg_set). */
#define vnet_err(err, errlen, id, ret, ...) \
	errmsg_set(err, errlen, "net", id, ret, __VA_ARGS__)

static uint64_t vnet_features(const struct vnet_cfg *cfg)
{
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_CTRL_VQ |
		     1ull << VIRTIO_NET_F_CTRL_MAC_ADDR |
		     1ull << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF;

	if (cfg->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	if (cfg->nr_pairs > 1)
		f |= 1ull << VIRTIO_NET_F_MQ;
	if (!cfg->offload_csum)
		return f;
	f |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM;
	if (cfg->offload_tso)
		f |= 1ull << VIRTIO_NET_F_HOST_TSO4 |
		     1ull << VIRTIO_NET_F_HOST_TSO6 |
		     1ull << VIRTIO_NET_F_HOST_ECN |
		     1ull << VIRTIO_NET_F_GUEST_TSO4 |
		     1ull << VIRTIO_NET_F_GUEST_TSO6 |
		     1ull << VIRTIO_NET_F_GUEST_ECN;
	if (cfg->offload_ufo)
		f |= 1ull << VIRTIO_NET_F_HOST_UFO |
		     1ull << VIRTIO_NET_F_GUEST_UFO;
	return f;
}

static int vnet_check_cfg(const struct vnet_cfg *cfg, const char *id, char *err,
			  size_t errlen)
{
	uint16_t qs = cfg->queue_size;
	uint16_t i;

	if (!cfg->nr_pairs || cfg->nr_pairs > VNET_MAX_PAIRS || !cfg->fds)
		return vnet_err(err, errlen, id, -EINVAL,
				"%u queue pairs: want 1..%u", cfg->nr_pairs,
				VNET_MAX_PAIRS);
	for (i = 0; i < cfg->nr_pairs; i++)
		if (cfg->fds[i] < 0)
			return vnet_err(err, errlen, id, -EINVAL,
					"no backend fd for pair %u", i);
	if (qs &&
	    (qs < VNET_MIN_QUEUE_SIZE || qs > VQ_MAX_SIZE || (qs & (qs - 1))))
		return vnet_err(err, errlen, id, -EINVAL,
				"queue_size %u is not a power of two in %u..%u",
				qs, VNET_MIN_QUEUE_SIZE, VQ_MAX_SIZE);
	if (cfg->mac[0] & 1)
		return vnet_err(
			err, errlen, id, -EINVAL,
			"MAC %02x:%02x:%02x:%02x:%02x:%02x is multicast",
			cfg->mac[0], cfg->mac[1], cfg->mac[2], cfg->mac[3],
			cfg->mac[4], cfg->mac[5]);
	if (cfg->mtu && cfg->mtu < 68)
		return vnet_err(err, errlen, id, -EINVAL, "mtu %u is below 68",
				cfg->mtu);
	return 0;
}

static int vnet_start_pair(struct vnet *n, struct vnet_pair *p)
{
	sigset_t all, old;
	char name[16];
	int ret;

	p->rx.bounce = malloc(VNET_BOUNCE_SIZE);
	p->tx.bounce = malloc(VNET_BOUNCE_SIZE);
	if (!p->rx.bounce || !p->tx.bounce)
		return -ENOMEM;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		return -errno;
	/* Signals are for the main and vCPU threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&p->thread, NULL, vnet_rx_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return ret;
	p->started = 1;
	snprintf(name, sizeof(name), "net-rx%u", p->idx);
	pthread_setname_np(p->thread, name);
	return 0;
}

int vnet_create(const struct vnet_cfg *cfg, struct vnet **out, char *err,
		size_t errlen)
{
	const char *id = cfg && cfg->id ? cfg->id : "net";
	struct vnet *n;
	uint16_t i;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !out)
		return -EINVAL;
	ret = vnet_check_cfg(cfg, id, err, errlen);
	if (ret)
		return ret;
	n = calloc(1, sizeof(*n) + cfg->nr_pairs * sizeof(n->pairs[0]));
	if (!n)
		return vnet_err(err, errlen, id, -ENOMEM, "out of memory");
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	dev_counters_init(&n->ctr, vnet_ctr_names, VNET_NR_CTR);
	n->nr_pairs = cfg->nr_pairs;
	n->bops = cfg->bops;
	n->bopaque = cfg->bopaque;
	n->sandbox = cfg->sandbox;
	memcpy(n->mac, cfg->mac, sizeof(n->mac));
	n->mtu = cfg->mtu;
	n->status = VIRTIO_NET_S_LINK_UP;
	n->info = (struct virtio_dev_info){
		.name = "virtio-net",
		.device_id = VIRTIO_ID_NET,
		.pci_class = VNET_PCI_CLASS,
		.features = vnet_features(cfg),
		.nr_queues = (uint16_t)(2 * cfg->nr_pairs + 1),
		.queue_size_max = cfg->queue_size ? cfg->queue_size :
						    VNET_DEFAULT_QUEUE_SIZE,
		.config_size = VIRTIO_NET_CFG_SIZE,
		.flags = VIRTIO_DEV_F_QUEUE_WORKERS,
	};
	for (i = 0; i < n->nr_pairs; i++) {
		n->pairs[i].n = n;
		n->pairs[i].idx = i;
		n->pairs[i].fd = cfg->fds[i];
		n->pairs[i].efd = -1;
		n->pairs[i].rx.attached = 1; /* a TAP queue starts attached */
	}
	n->id = strdup(id);
	if (!n->id) {
		ret = vnet_err(err, errlen, id, -ENOMEM, "out of memory");
		goto err_free;
	}
	for (i = 0; i < n->nr_pairs; i++) {
		ret = vnet_start_pair(n, &n->pairs[i]);
		if (ret) {
			vnet_err(err, errlen, id, ret,
				 "cannot start receive thread %u: %s", i,
				 strerror(-ret));
			goto err_free;
		}
	}
	log_info(
		"net %s: %u queue pair(s) of %u, mac %02x:%02x:%02x:%02x:%02x:%02x%s",
		n->id, n->nr_pairs, n->info.queue_size_max, n->mac[0],
		n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
		cfg->offload_csum ? "" : ", no offloads");
	*out = n;
	return 0;

err_free:
	vnet_destroy(n);
	return ret;
}

const struct virtio_dev_info *vnet_info(struct vnet *n)
{
	return &n->info;
}

void vnet_set_link(struct vnet *n, int up)
{
	struct virtio_dev *vd = NULL;
	uint16_t st = up ? VIRTIO_NET_S_LINK_UP : 0;

	pthread_mutex_lock(&n->lock);
	if (n->status != st) {
		n->status = st;
		if (n->active)
			vd = n->vd;
	}
	pthread_mutex_unlock(&n->lock);
	if (vd)
		virtio_config_changed(vd);
}

void vnet_get_counters(struct vnet *n, struct vnet_counters *out)
{
	out->rx_bytes = dev_counter_get(&n->ctr, VNET_CTR_RX_BYTES);
	out->rx_frames = dev_counter_get(&n->ctr, VNET_CTR_RX_FRAMES);
	out->tx_bytes = dev_counter_get(&n->ctr, VNET_CTR_TX_BYTES);
	out->tx_frames = dev_counter_get(&n->ctr, VNET_CTR_TX_FRAMES);
	out->rx_dropped = dev_counter_get(&n->ctr, VNET_CTR_RX_DROPPED);
	out->tx_dropped = dev_counter_get(&n->ctr, VNET_CTR_TX_DROPPED);
	out->ctrl_errors = dev_counter_get(&n->ctr, VNET_CTR_CTRL_ERRORS);
}

const struct dev_counters *vnet_dev_counters(struct vnet *n)
{
	return &n->ctr;
}

void vnet_stop(struct vnet *n)
{
	uint16_t i;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_mutex_unlock(&n->lock);
	for (i = 0; i < n->nr_pairs; i++) {
		struct vnet_pair *p = &n->pairs[i];

		if (!p->started)
			continue;
		vnet_wake(p);
		pthread_join(p->thread, NULL);
		p->started = 0;
	}
}

void vnet_destroy(struct vnet *n)
{
	struct vnet_counters c;
	uint16_t i;

	if (!n)
		return;
	vnet_stop(n);
	vnet_get_counters(n, &c);
	log_info(
		"net %s: rx %llu frames, %llu bytes, %llu dropped; tx %llu frames, %llu bytes, %llu dropped",
		n->id, (unsigned long long)c.rx_frames,
		(unsigned long long)c.rx_bytes,
		(unsigned long long)c.rx_dropped,
		(unsigned long long)c.tx_frames, (unsigned long long)c.tx_bytes,
		(unsigned long long)c.tx_dropped);
	for (i = 0; i < n->nr_pairs; i++) {
		if (n->pairs[i].efd >= 0)
			close(n->pairs[i].efd);
		free(n->pairs[i].rx.bounce);
		free(n->pairs[i].tx.bounce);
	}
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n->id);
	free(n);
}

/* ---- device ops ---- */

static void vnet_config_read(void *opaque, uint32_t off, void *data,
			     uint32_t len)
{
	struct vnet *n = opaque;
	uint8_t img[VIRTIO_NET_CFG_SIZE];
	uint16_t v;

	pthread_mutex_lock(&n->lock);
	memcpy(img + VIRTIO_NET_CFG_MAC, n->mac, 6);
	v = htole16(n->status);
	memcpy(img + VIRTIO_NET_CFG_STATUS, &v, 2);
	v = htole16(n->nr_pairs);
	memcpy(img + VIRTIO_NET_CFG_MAX_PAIRS, &v, 2);
	v = htole16(n->mtu);
	memcpy(img + VIRTIO_NET_CFG_MTU, &v, 2);
	pthread_mutex_unlock(&n->lock);
	memset(data, 0, len);
	if (off < VIRTIO_NET_CFG_SIZE)
		memcpy(data, img + off,
		       len < VIRTIO_NET_CFG_SIZE - off ?
			       len :
			       VIRTIO_NET_CFG_SIZE - off);
}

/* Bump the epoch and wait until every receive thread has seen it (and
 * so dropped what it held).  n->lock held. */
static void vnet_sync_threads(struct vnet *n)
{
	uint16_t i;
	int waiting;

	n->epoch++;
	for (i = 0; i < n->nr_pairs; i++)
		if (n->pairs[i].started)
			vnet_wake(&n->pairs[i]);
	do {
		waiting = 0;
		for (i = 0; i < n->nr_pairs; i++)
			if (n->pairs[i].started && !n->pairs[i].dead &&
			    n->pairs[i].seen_epoch != n->epoch)
				waiting = 1;
		if (waiting)
			pthread_cond_wait(&n->cond, &n->lock);
	} while (waiting && !n->stop);
}

static int vnet_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	struct vnet *n = opaque;
	uint64_t rxo = features & VNET_GUEST_OFFLOADS;
	int mq = !!(features & 1ull << VIRTIO_NET_F_MQ);
	uint16_t i;
	int ret = 0;

	if (n->bops && n->bops->set_offload) {
		ret = n->bops->set_offload(n->bopaque, vnet_tun_offloads(rxo));
		if (ret)
			log_ratelimited(
				&n->rl, LOG_WARN,
				"net %s: cannot set backend offloads: %s",
				n->id, strerror(-ret));
	}
	pthread_mutex_lock(&n->lock);
	n->vd = vd;
	n->features = features;
	n->usable_pairs = mq ? n->nr_pairs : 1;
	n->ctrl_qidx = (uint16_t)(2 * n->usable_pairs);
	__atomic_store_n(&n->rx_offloads, rxo, __ATOMIC_RELAXED);
	/* One pair until the driver asks for more (VQ_PAIRS_SET). */
	for (i = 0; i < n->nr_pairs; i++)
		__atomic_store_n(&n->pairs[i].want_active, i == 0,
				 __ATOMIC_RELAXED);
	n->active = 1;
	vnet_sync_threads(n);
	pthread_mutex_unlock(&n->lock);
	return ret;
}

static void vnet_reset(void *opaque)
{
	struct vnet *n = opaque;

	pthread_mutex_lock(&n->lock);
	n->active = 0;
	vnet_sync_threads(n);
	n->vd = NULL;
	pthread_mutex_unlock(&n->lock);
}

static void vnet_queue_notify(void *opaque, struct virtio_dev *vd,
			      uint16_t qidx)
{
	struct vnet *n = opaque;

	/* features/usable_pairs/ctrl_qidx are stable while workers run. */
	if (qidx == n->ctrl_qidx)
		vnet_ctrl_process(n, vd, qidx);
	else if (qidx / 2 >= n->usable_pairs)
		log_ratelimited(&n->rl, LOG_WARN,
				"net %s: kick for unused queue %u", n->id,
				qidx);
	else if (qidx & 1)
		vnet_tx_process(n, vd, qidx / 2);
	else
		vnet_wake(&n->pairs[qidx / 2]);
}

static const struct virtio_dev_ops vnet_dev_ops = {
	.config_read = vnet_config_read,
	.activate = vnet_activate,
	.queue_notify = vnet_queue_notify,
	.reset = vnet_reset,
};

const struct virtio_dev_ops *vnet_ops(void)
{
	return &vnet_dev_ops;
}
