// SPDX-License-Identifier: Apache-2.0
/*
 * net_ctrl.c - the virtio-net control queue (virtio 1.x 5.1.6.5): MAC
 * address, number of queue pairs and the guest's receive offloads.
 *
 * A command is { u8 class; u8 command; data } in device-readable bytes
 * and one device-writable ack byte; like every other device here the
 * split into descriptors is free.  Everything not understood, or not
 * negotiated, is answered VIRTIO_NET_ERR; a chain without a writable byte
 * cannot be answered and is returned with length 0.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#define LOG_MOD "virtio-net"
#include "devices/virtio/net_priv.h"
#include "vmm/log.h"

#define CTRL_HDR 2u
#define CTRL_DATA_MAX 8u /* the longest command data we take (le64) */

static uint8_t ctrl_mac_set(struct vnet *n, const uint8_t *d, uint32_t len)
{
	if (!(n->features & 1ull << VIRTIO_NET_F_CTRL_MAC_ADDR) || len != 6)
		return VIRTIO_NET_ERR;
	pthread_mutex_lock(&n->lock);
	memcpy(n->mac, d, 6);
	pthread_mutex_unlock(&n->lock);
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_mq_set(struct vnet *n, const uint8_t *d, uint32_t len)
{
	uint16_t k, i;

	if (!(n->features & 1ull << VIRTIO_NET_F_MQ) || len != 2)
		return VIRTIO_NET_ERR;
	memcpy(&k, d, 2);
	k = le16toh(k);
	if (k < 1 || k > n->nr_pairs)
		return VIRTIO_NET_ERR;
	for (i = 0; i < n->nr_pairs; i++) {
		__atomic_store_n(&n->pairs[i].want_active, i < k,
				 __ATOMIC_RELAXED);
		vnet_wake(&n->pairs[i]);
	}
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_offloads_set(struct vnet *n, const uint8_t *d, uint32_t len)
{
	uint64_t want, allowed = n->features & VNET_GUEST_OFFLOADS;
	int ret = 0;

	if (!(n->features & 1ull << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
	    len != 8)
		return VIRTIO_NET_ERR;
	memcpy(&want, d, 8);
	want = le64toh(want);
	if (want & ~allowed)
		return VIRTIO_NET_ERR;
	/* Segmentation offloads need checksum offload (5.1.3.1). */
	if ((want & VNET_GUEST_OFFLOADS & ~(1ull << VIRTIO_NET_F_GUEST_CSUM)) &&
	    !(want & 1ull << VIRTIO_NET_F_GUEST_CSUM))
		return VIRTIO_NET_ERR;
	if (n->bops && n->bops->set_offload)
		ret = n->bops->set_offload(n->bopaque, vnet_tun_offloads(want));
	if (ret) {
		log_ratelimited(&n->rl, LOG_WARN,
				"net %s: cannot set backend offloads: %s",
				n->id, strerror(-ret));
		return VIRTIO_NET_ERR;
	}
	__atomic_store_n(&n->rx_offloads, want, __ATOMIC_RELAXED);
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_cmd(struct vnet *n, const struct vq_chain *c)
{
	uint8_t hdr[CTRL_HDR], d[CTRL_DATA_MAX];
	uint32_t len;

	if (c->out_len < CTRL_HDR)
		return VIRTIO_NET_ERR;
	len = c->out_len - CTRL_HDR;
	vnet_chain_copy(c, 0, 0, hdr, CTRL_HDR, 0);
	if (len > CTRL_DATA_MAX)
		return VIRTIO_NET_ERR;
	vnet_chain_copy(c, 0, CTRL_HDR, d, len, 0);
	switch (hdr[0] << 8 | hdr[1]) {
	case VIRTIO_NET_CTRL_MAC << 8 | VIRTIO_NET_CTRL_MAC_ADDR_SET:
		return ctrl_mac_set(n, d, len);
	case VIRTIO_NET_CTRL_MQ << 8 | VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET:
		return ctrl_mq_set(n, d, len);
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS << 8 |
		VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET:
		return ctrl_offloads_set(n, d, len);
	default:
		return VIRTIO_NET_ERR;
	}
}

void vnet_ctrl_process(struct vnet *n, struct virtio_dev *vd, uint16_t qidx)
{
	struct vq *q = virtio_queue(vd, qidx);
	struct vq_chain *c = &n->ctrl_chain;
	unsigned int pushed = 0;
	uint32_t len;
	uint8_t ack;
	int ret;

	if (!q)
		return;
	do {
		vq_enable_notify(q, false);
		while (!(ret = vq_pop(q, c))) {
			ack = ctrl_cmd(n, c);
			if (ack != VIRTIO_NET_OK) {
				vnet_count(n, VNET_CTR_CTRL_ERRORS, 1);
				log_ratelimited(
					&n->rl, LOG_WARN,
					"net %s: control command refused (%u bytes)",
					n->id, c->out_len);
			}
			len = vnet_chain_copy(c, 1, 0, &ack, 1, 1);
			ret = vq_push(q, c->head, len);
			if (ret)
				break;
			pushed++;
		}
		if (ret != -EAGAIN) {
			log_ratelimited(&n->rl, LOG_WARN,
					"net %s: control queue: malformed ring",
					n->id);
			virtio_set_needs_reset(vd);
			break;
		}
	} while (vq_enable_notify(q, true));
	if (pushed)
		virtio_notify_used(vd, qidx);
}
