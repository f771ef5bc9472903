/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_net.h - the typed configuration of the network and host-channel
 * devices (--net, --vsock, --pmem; Cloud Hypervisor syntax), embedded in
 * struct vm_config (vmm/config.h).  Filled by the CLI (vmm/cli_net.c)
 * and by the API's VmConfig JSON; read by the devices.
 *
 * Strings are heap copies owned by the config and freed by
 * vm_config_free().  Unused slots are all-zero (NULL strings, fd -1 is
 * never assumed: nr_fds says how many fds are valid).
 */
#ifndef NIMBUS_VMM_CONFIG_NET_H
#define NIMBUS_VMM_CONFIG_NET_H

#include <stdint.h>

#define CONFIG_MAX_NETS 8
#define CONFIG_MAX_NET_FDS 16
#define CONFIG_MAX_PMEMS 8

/* --net tap=,ip=,mask=,mac=,host_mac=,mtu=,num_queues=,queue_size=,id=,
 * fd=,offload_tso=,offload_ufo=,offload_csum= */
struct net_config {
	char *tap; /* TAP name to use or create; NULL = kernel picks tapN */
	int fds[CONFIG_MAX_NET_FDS]; /* fd=[a,b] already-open TAP queues */
	unsigned int nr_fds;
	uint32_t ip; /* host address, network byte order; valid if has_ip */
	uint32_t mask; /* netmask, network byte order; valid if has_mask */
	uint8_t has_ip, has_mask, has_mac, has_host_mac;
	uint8_t mac[6]; /* guest MAC; random locally administered if !has_mac */
	uint8_t host_mac[6]; /* TAP MAC when has_host_mac */
	uint16_t mtu; /* 0 = leave the TAP's MTU (1500) */
	uint16_t num_queues; /* rx+tx queues, even, default 2 */
	uint16_t queue_size; /* default 256 */
	uint8_t offload_tso, offload_ufo, offload_csum; /* on|off, default on */
	char *id; /* default "_net<N>" */
};

/* --vsock cid=,socket=,id= */
struct vsock_config {
	uint64_t cid; /* guest CID (>= 3); 0 = no vsock device */
	char *socket; /* host UNIX socket path */
	char *id; /* default "_vsock0" */
};

/* --pmem file=,size=,discard_writes=on|off,id= */
struct pmem_config {
	char *file;
	uint64_t size; /* 0 = the file's size */
	uint8_t discard_writes;
	char *id; /* default "_pmem<N>" */
};

#endif /* NIMBUS_VMM_CONFIG_NET_H */
