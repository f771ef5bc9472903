// SPDX-License-Identifier: Apache-2.0
/*
 * vmm/vm_virtio.c wiring of --net, --vsock and --pmem, on the fake
 * hypervisor: a VM is built from a vm_config, and each device is reached
 * through its virtio-pci transport (BAR register model) to check that the
 * transport talks to the right device (MAC, CID, pmem placement), that
 * pmem is mapped into the hypervisor and guest_mem, and that destroying
 * the VM removes the TAP and the vsock socket and leaks no fd.
 *
 * Needs root and /dev/net/tun for the TAP (skipped otherwise).  main()
 * forks and the child runs every test in a new network namespace.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_pci_priv.h"
#include "devices/virtio/virtio_pmem.h"
#include "devices/virtio/virtio_vsock.h"
#include "tests/fakes/hv_fake.h"
#include "tests/lib/test_image.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define PMEM_SIZE (4ull << 20)

struct fixture {
	char kernel[64], pmem[64], sock[64];
	struct vm_config cfg;
	const struct hv_ops *ops;
	struct hv_host host;
	struct hv *hv;
	struct event_loop *loop;
	struct vm vm;
};

static void host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "hv", fmt, ap);
	va_end(ap);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int setup(void **state)
{
	static const uint8_t code[] = { 0xf4 };
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	strcpy(f->kernel, "/tmp/nimbus-test-vnetvm-XXXXXX");
	if (test_write_pvh_elf(f->kernel, 0x200000, code, sizeof(code)))
		return -1;
	snprintf(f->pmem, sizeof(f->pmem), "/tmp/nimbus-vnetvm-%d.img",
		 getpid());
	fd = open(f->pmem, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)PMEM_SIZE))
		return -1;
	close(fd);
	snprintf(f->sock, sizeof(f->sock), "/tmp/nimbus-vnetvm-%d.sock",
		 getpid());
	f->cfg.payload.kernel = f->kernel;
	f->cfg.cpus.boot = f->cfg.cpus.max = 1;
	f->cfg.memory.size = 64ull << 20;
	f->cfg.serial.mode = CONSOLE_NULL;
	f->cfg.console.mode = CONSOLE_OFF;
	f->cfg.nr_nets = 1;
	f->cfg.nets[0] = (struct net_config){
		.tap = "nbv0",
		.ip = htonl(0x0a4d0001),
		.mask = htonl(0xffffff00),
		.has_ip = 1,
		.has_mask = 1,
		.has_mac = 1,
		.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
		.num_queues = 4,
		.queue_size = 256,
		.offload_csum = 1,
		.offload_tso = 1,
		.id = "eth-test",
	};
	f->cfg.vsock = (struct vsock_config){ .cid = 42, .socket = f->sock };
	f->cfg.nr_pmems = 1;
	f->cfg.pmems[0] = (struct pmem_config){ .file = f->pmem, .id = "pm" };
	f->ops = hv_fake_desc.ops;
	f->host = (struct hv_host){
		.abi_major = HV_ABI_MAJOR,
		.abi_minor = HV_ABI_MINOR,
		.size = sizeof(f->host),
		.kick_signo = SIGUSR2,
		.log = host_log,
		.mmio = vcpu_host_mmio,
		.pio = vcpu_host_pio,
		.gpa_to_hva = vcpu_host_gpa_to_hva,
	};
	hv_fake_fail_clear();
	if (f->ops->open(&f->host, &f->hv) || event_loop_new(&f->loop))
		return -1;
	f->vm.kick_signo = SIGUSR2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	event_loop_free(f->loop);
	f->ops->close(f->hv);
	unlink(f->kernel);
	unlink(f->pmem);
	unlink(f->sock);
	free(f);
	return 0;
}

/* The transport of the device with virtio id `id`. */
static struct virtio_dev *find_dev(struct vm *vm, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vdevs; i++)
		if (vm->vdevs[i].vd && vm->vdevs[i].vd->info->device_id == id)
			return vm->vdevs[i].vd;
	return NULL;
}

/* Read device config through the transport's BAR model, as a driver. */
static void cfg_read(struct virtio_dev *vd, uint32_t off, void *buf,
		     uint32_t len)
{
	uint8_t *p = buf;
	uint32_t i;

	for (i = 0; i < len; i++)
		virtio_pci_bar_rw(vd, vd->dev_off + off + i, p + i, 1, 0, 1);
}

static void test_devices_wired(void **state)
{
	struct fixture *f = *state;
	uint64_t win_base, win_size, cfg[2], cid;
	uint8_t mac[6], want_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct virtio_dev *net, *vs, *pm;
	struct hv_fake_region r;
	unsigned int i, found = 0;
	uint16_t pairs;
	char err[256] = "";
	struct stat st;
	int fds;

	fds = count_fds();
	if (vm_create(&f->cfg, f->ops, f->hv, f->loop, &f->vm, err,
		      sizeof(err)))
		fail_msg("vm_create: %s", err);
	net = find_dev(&f->vm, VIRTIO_ID_NET);
	vs = find_dev(&f->vm, VIRTIO_ID_VSOCK);
	pm = find_dev(&f->vm, VIRTIO_ID_PMEM);
	assert_non_null(net);
	assert_non_null(vs);
	assert_non_null(pm);

	/* The NIC: its TAP is up, the transport reaches the vnet. */
	assert_true(if_nametoindex("nbv0") != 0);
	cfg_read(net, VIRTIO_NET_CFG_MAC, mac, 6);
	assert_memory_equal(mac, want_mac, 6);
	cfg_read(net, VIRTIO_NET_CFG_MAX_PAIRS, &pairs, 2);
	assert_int_equal(le16toh(pairs), 2);
	assert_int_equal(net->info->nr_queues, 5);

	/* vsock: the CID, the listening socket. */
	cfg_read(vs, 0, &cid, 8);
	assert_int_equal(le64toh(cid), 42);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	/* pmem: at the start of the device window, mapped in the hypervisor
	 * and in guest_mem. */
	assert_int_equal(arch_device_window(f->vm.arch, &win_base, &win_size),
			 0);
	cfg_read(pm, 0, cfg, 16);
	assert_int_equal(le64toh(cfg[0]), win_base);
	assert_int_equal(le64toh(cfg[1]), PMEM_SIZE);
	for (i = 0; i < hv_fake_nr_regions(f->vm.hvm); i++) {
		assert_int_equal(hv_fake_get_region(f->vm.hvm, i, &r), 0);
		if (r.gpa == win_base && r.size == PMEM_SIZE)
			found++;
	}
	assert_int_equal(found, 1);
	assert_non_null(guest_mem_ptr(&f->vm.mem, win_base + PMEM_SIZE - 1, 1));

	vm_destroy(&f->vm);
	assert_int_equal(if_nametoindex("nbv0"), 0);
	assert_int_not_equal(stat(f->sock, &st), 0);
	assert_int_equal(count_fds(), fds);
}

static void test_bad_pmem_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	int fds = count_fds();

	f->cfg.pmems[0].size = 3ull << 20; /* not a 2 MiB multiple */
	assert_int_equal(vm_create(&f->cfg, f->ops, f->hv, f->loop, &f->vm, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "2 MiB"));
	assert_int_equal(if_nametoindex("nbv0"), 0);
	assert_int_equal(count_fds(), fds);
}

static void test_skipped(void **state)
{
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_devices_wired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_pmem_fails_cleanly,
						setup, teardown),
	};
	const struct CMUnitTest skipped[] = {
		cmocka_unit_test(test_skipped),
	};
	int status;
	pid_t pid;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK))
		return cmocka_run_group_tests_name(
			"virtio_net_vm (needs root and /dev/net/tun)", skipped,
			NULL, NULL);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET)) {
			perror("unshare(CLONE_NEWNET)");
			_exit(1);
		}
		_exit(cmocka_run_group_tests_name("virtio_net_vm", tests, NULL,
						  NULL));
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
