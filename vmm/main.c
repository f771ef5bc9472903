// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the nimbus program: parse the command line, load the
 * hypervisor plugin, then create, run and (on guest reboot) recreate the
 * VM until it powers off.  The only file allowed to exit().
 *
 * Exit status: 0 after guest power-off or SIGTERM/SIGINT, 1 after a VMM
 * or hypervisor error, 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define LOG_MOD "main"
#include "arch/arch.h"
#include "hv/hv_call.h"
#include "plugins/loader.h"
#include "vmm/cli.h"
#include "vmm/console.h"
#include "vmm/event.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"
#include "vmm/vm_virtio.h"

#define KICK_SIGNAL SIGUSR1

struct nimbus {
	struct vm_config cfg;
	struct plugin plugin;
	struct hv *hv;
	struct event_loop *loop;
	struct console *console; /* --serial: the 16550A */
	struct console *vconsole; /* --console: virtio-console, or NULL */
	int sig_fd;
	struct vm vm;
	int vm_live;
	int shutdown; /* SIGTERM/SIGINT seen: no more reboots */
};

static void plugin_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "hv", fmt, ap);
	va_end(ap);
}

static void kick_handler(int sig)
{
	/* Only interrupts KVM_RUN (or its equivalent); nothing to do. */
}

static int setup_signals(int *sig_fd)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set;

	/* No SA_RESTART: the kick must make the run ioctl return EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);

	/* Blocked in every thread (inherited); vCPU threads unblock the
	 * kick signal, the main loop reads the others from a signalfd. */
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	sigdelset(&set, KICK_SIGNAL);
	*sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return *sig_fd < 0 ? -errno : 0;
}

static void on_signal(void *opaque, int fd, uint32_t events)
{
	struct nimbus *n = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("received signal %u, shutting down", si.ssi_signo);
	/* Remembered here too: the VM may already be stopping for a reset,
	 * in which case its stop reason stays "reset". */
	n->shutdown = 1;
	if (n->vm_live)
		vm_request_stop(&n->vm, VM_STOP_SIGNAL);
	else
		event_loop_stop(n->loop);
}

static void on_vm_stop(void *opaque, int fd, uint32_t events)
{
	struct nimbus *n = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* drained already */
	}
	event_loop_stop(n->loop);
}

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	return arch_console_input(vm->arch, buf, len);
}

static size_t vconsole_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	return vm_virtio_console_input(opaque, buf, len);
}

/* Create, run and tear down one incarnation of the VM. */
static int run_vm_once(struct nimbus *n, int *reason)
{
	char err[512] = "";
	int ret;

	n->vm.console_tx = console_output;
	n->vm.console_rx_space = console_rx_space;
	n->vm.console_opaque = n->console;
	if (n->vconsole) {
		n->vm.vcon_tx = console_output;
		n->vm.vcon_rx_space = console_rx_space;
		n->vm.vcon_opaque = n->vconsole;
	}
	n->vm.kick_signo = KICK_SIGNAL;
	ret = vm_create(&n->cfg, n->plugin.ops, n->hv, n->loop, &n->vm, err,
			sizeof(err));
	if (ret) {
		fprintf(stderr, "nimbus: %s\n", err);
		return ret;
	}
	n->vm_live = 1;
	console_set_sink(n->console, console_to_guest, &n->vm);
	if (n->vconsole)
		console_set_sink(n->vconsole, vconsole_to_guest, &n->vm);
	ret = event_add(n->loop, n->vm.stop_efd, EV_IN, on_vm_stop, n);
	if (!ret) {
		vm_start(&n->vm);
		ret = event_loop_run(n->loop);
		event_del(n->loop, n->vm.stop_efd);
	}
	if (ret)
		vm_request_stop(&n->vm, VM_STOP_ERROR);
	vm_join(&n->vm);
	console_set_sink(n->console, NULL, NULL);
	if (n->vconsole)
		console_set_sink(n->vconsole, NULL, NULL);
	*reason = n->vm.stop_reason;
	n->vm_live = 0;
	vm_destroy(&n->vm);
	return ret;
}

static int check_payload(const struct vm_config *cfg)
{
	const char *files[] = { cfg->payload.kernel, cfg->payload.initramfs };
	const char *what[] = { "--kernel", "--initramfs" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (!files[i])
			continue;
		if (access(files[i], R_OK)) {
			fprintf(stderr, "nimbus: %s %s: %s\n", what[i],
				files[i], strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int run(struct nimbus *n)
{
	struct hv_host host = {
		.abi_major = HV_ABI_MAJOR,
		.abi_minor = HV_ABI_MINOR,
		.size = sizeof(host),
		.kick_signo = KICK_SIGNAL,
		.log = plugin_log,
		.mmio = vcpu_host_mmio,
		.pio = vcpu_host_pio,
		.gpa_to_hva = vcpu_host_gpa_to_hva,
	};
	char err[1024] = "";
	int reason = VM_RUNNING, ret;

	ret = check_payload(&n->cfg);
	if (ret)
		return 1;
	ret = setup_signals(&n->sig_fd);
	if (ret) {
		fprintf(stderr, "nimbus: signals: %s\n", strerror(-ret));
		return 1;
	}
	ret = plugin_select(n->cfg.hv, n->cfg.hv_plugin, NIMBUS_PLUGINDIR,
			    &host, &n->plugin, err, sizeof(err));
	if (ret) {
		/* The loader's messages carry the "nimbus: " prefix. */
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_info("hypervisor plugin %s (%s)", n->plugin.desc->name,
		 n->plugin.path);
	ret = n->plugin.ops->open(&host, &n->hv);
	if (ret) {
		fprintf(stderr, "nimbus: cannot open hypervisor %s: %s\n",
			n->plugin.desc->name, strerror(-ret));
		goto out_plugin;
	}
	ret = event_loop_new(&n->loop);
	if (ret) {
		fprintf(stderr, "nimbus: event loop: %s\n", strerror(-ret));
		goto out_hv;
	}
	event_add(n->loop, n->sig_fd, EV_IN, on_signal, n);
	err[0] = '\0';
	ret = console_open(&n->cfg.serial, n->loop, &n->console, err,
			   sizeof(err));
	if (ret) {
		fprintf(stderr, "nimbus: %s\n", err);
		goto out_loop;
	}
	if (n->cfg.console.mode != CONSOLE_OFF) {
		err[0] = '\0';
		ret = console_open(&n->cfg.console, n->loop, &n->vconsole, err,
				   sizeof(err));
		if (ret) {
			fprintf(stderr, "nimbus: --console: %s\n", err);
			goto out_console;
		}
	}
	do {
		ret = run_vm_once(n, &reason);
		if (n->shutdown)
			reason = VM_STOP_SIGNAL;
		else if (!ret && reason == VM_STOP_RESET)
			log_info("rebooting the guest");
	} while (!ret && reason == VM_STOP_RESET);

	console_close(n->vconsole);
out_console:
	console_close(n->console);
out_loop:
	event_del(n->loop, n->sig_fd);
	event_loop_free(n->loop);
out_hv:
	n->plugin.ops->close(n->hv);
out_plugin:
	plugin_unload(&n->plugin);
	if (ret)
		return 1;
	if (reason == VM_STOP_ERROR) {
		fprintf(stderr,
			"nimbus: the VM stopped on an error (see the log above)\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nimbus n;
	char err[512] = "";
	int ret, fd;

	memset(&n, 0, sizeof(n));
	n.sig_fd = -1;
	log_init_clock();
	ret = cli_parse(argc, argv, &n.cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nimbus: %s\nTry 'nimbus --help'.\n", err);
		exit(2);
	}
	if (ret == CLI_HELP) {
		fputs(cli_usage_text(), stdout);
		vm_config_free(&n.cfg);
		exit(0);
	}
	if (ret == CLI_VERSION) {
		printf("nimbus %s\n", NIMBUS_VERSION);
		vm_config_free(&n.cfg);
		exit(0);
	}
	log_set_level(LOG_WARN + n.cfg.verbosity);
	if (n.cfg.log_file) {
		fd = open(n.cfg.log_file,
			  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0) {
			fprintf(stderr, "nimbus: --log-file %s: %s\n",
				n.cfg.log_file, strerror(errno));
			vm_config_free(&n.cfg);
			exit(1);
		}
		log_set_fd(fd);
	}
	ret = run(&n);
	if (n.sig_fd >= 0)
		close(n.sig_fd);
	vm_config_free(&n.cfg);
	exit(ret);
}
