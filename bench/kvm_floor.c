// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_floor.c - the floor for exit round trips: the smallest possible
 * KVM_RUN loop, with no VMM around it.  A flat 32-bit guest does N port
 * writes (or N MMIO reads) and halts; we time the whole run loop and print
 * nanoseconds per exit.  Benchmark tool only: it talks to /dev/kvm
 * directly on purpose, to measure what any VMM pays at minimum.
 *
 * The VM is configured like a Nimbus VM (split irqchip: an in-kernel
 * LAPIC, 24 userspace IOAPIC routes) and the guest uses the same
 * instruction forms as the Nimbus benchmark guests (out dx, al to an
 * unclaimed port; a 32-bit load from unclaimed MMIO), so the difference
 * is what the VMM adds.
 *
 * usage: kvm_floor pio|mmio N
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void flat(struct kvm_segment *s, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = code ? 0x08 : 0x10;
	s->type = code ? 11 : 3;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

int main(int argc, char **argv)
{
	int mmio = argc > 1 && !strcmp(argv[1], "mmio");
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 100000;
	struct kvm_userspace_memory_region mr = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP };
	uint8_t *mem, *p, *loop;
	uint64_t t0, t1, exits = 0;
	int kvm, vm, vcpu;
	long sz;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("/dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED) {
		perror("setup");
		return 1;
	}
	/* mov edx, 0x510; mov ecx, n;
	 * 1: out dx, al | mov eax, [0xd0000000]; dec ecx; jnz 1b;
	 * mov al, 1; out 0x11, al (done: an exit the loop below stops at) */
	p = mem + 0x1000;
	*p++ = 0xba;
	*(uint32_t *)p = 0x510;
	p += 4;
	*p++ = 0xb9;
	memcpy(p, &n, 4);
	p += 4;
	loop = p;
	if (mmio) {
		*p++ = 0xa1;
		*(uint32_t *)p = 0xd0000000u;
		p += 4;
	} else {
		*p++ = 0xee;
	}
	*p++ = 0x49;
	*p++ = 0x75;
	*p = (uint8_t)(loop - (p + 1));
	p++;
	*p++ = 0xe6;
	*p++ = 0x11;
	mr.memory_size = 0x10000;
	mr.userspace_addr = (uint64_t)(uintptr_t)mem;
	cap.args[0] = 24;
	if (ioctl(vm, KVM_ENABLE_CAP, &cap)) {
		perror("KVM_CAP_SPLIT_IRQCHIP");
		return 1;
	}
	vcpu = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) ?
		       -1 :
		       ioctl(vm, KVM_CREATE_VCPU, 0);
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || sz <= 0) {
		perror("vcpu");
		return 1;
	}
	run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		   0);
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	flat(&sregs.cs, 1);
	flat(&sregs.ds, 0);
	sregs.es = sregs.ss = sregs.fs = sregs.gs = sregs.ds;
	sregs.cr0 |= 1;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_REGS, &regs);

	t0 = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0 && errno != EINTR) {
			perror("KVM_RUN");
			return 1;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x11)
			break;
		if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		else if (run->exit_reason != KVM_EXIT_IO &&
			 run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
		exits++;
	}
	t1 = now_ns();
	printf("%.1f\n", (double)(t1 - t0) / (double)(exits ? exits : 1));
	return 0;
}
