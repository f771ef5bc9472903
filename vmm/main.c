// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - the nimbus program: parse the command line, open the event
 * monitor and the API socket, load the hypervisor plugin, then run the
 * main loop: the VM of the command line (if any) boots at once, the API
 * drives the life cycle (vmm/lifecycle.h).  The only file allowed to
 * exit().
 *
 * Exit status: 0 after guest power-off (without an API socket),
 * vmm.shutdown or SIGTERM/SIGINT/SIGHUP; 1 after a VMM or hypervisor
 * error (or a VM error without an API socket); 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
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
#include "vmm/api_handlers.h"
#include "vmm/api_server.h"
#include "vmm/cli.h"
#include "vmm/event.h"
#include "vmm/evmon.h"
#include "vmm/lifecycle.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"
#include "vmm/vcpu.h"

#define KICK_SIGNAL SIGUSR1

struct nimbus {
	struct vm_config cfg;
	struct plugin plugin;
	struct hv *hv;
	struct event_loop *loop;
	int sig_fd;
	struct evmon *evmon;
	struct api_server *api;
	struct lifecycle lc;
	int term_seen; /* SIGTERM pressed the power button already */
	struct api_ctx actx;
	struct sandbox *sandbox;
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
#if defined(__aarch64__)
	/* The first SIGTERM presses the power button (PL061 power key), so
	 * the guest shuts down cleanly and the VM powers off (status 0); a
	 * second one, or no running VM, stops at once. */
	if (si.ssi_signo == SIGTERM && !n->term_seen &&
	    !lc_power_button(&n->lc, NULL, 0)) {
		n->term_seen = 1;
		log_info("SIGTERM: power button pressed");
		return;
	}
#endif
	log_info("received signal %u, shutting down", si.ssi_signo);
	lc_exit(&n->lc, 0);
}

/* The API socket first: clients can connect (and queue requests) while
 * the hypervisor plugin loads. */
static int start_api(struct nimbus *n)
{
	struct api_server_cfg acfg = {
		.ep = &n->cfg.api,
		.loop = n->loop,
		.handler = api_handle,
		.opaque = &n->actx,
		.sandbox = n->sandbox,
	};
	char err[512] = "";
	int ret;

	if (!n->cfg.api.path && n->cfg.api.fd < 0)
		return 0;
	n->actx.lc = &n->lc;
	ret = api_server_start(&acfg, &n->api, err, sizeof(err));
	if (ret)
		fprintf(stderr, "nimbus: %s\n", err);
	else if (n->cfg.api.path)
		log_info("API server on %s", n->cfg.api.path);
	return ret;
}

/* Build the seccomp filters (--seccomp true|log; nothing for false). */
static int start_sandbox(struct nimbus *n)
{
	struct sandbox_ctx sctx = {
		.mode = n->cfg.seccomp,
		.log_fd = log_get_fd(),
		.kick_signo = KICK_SIGNAL,
	};
	int ret;

	/* glibc's strerror() may open a message catalog the first time
	 * (gettext, per LANG); do it now, before any thread is filtered. */
	(void)strerror(EPIPE);
	ret = HV_CALL(n->plugin.ops, get_ioctl_allowlist, n->hv,
		      &sctx.hv_ioctls, &sctx.nr_hv_ioctls);
	if (ret && ret != -EOPNOTSUPP) {
		fprintf(stderr, "nimbus: plugin ioctl list: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = sandbox_new(&sctx, &n->sandbox);
	if (ret)
		fprintf(stderr,
			"nimbus: cannot build the seccomp filters: %s\n",
			strerror(-ret));
	return ret;
}

/* With a payload on the command line, create and boot it at once. */
static int boot_cli_vm(struct nimbus *n)
{
	char err[512] = "";
	int ret;

	if (!n->cfg.payload.kernel)
		return 0; /* --api-socket alone: wait for vm.create */
	ret = lc_create(&n->lc, &n->cfg, 0, err, sizeof(err));
	if (!ret)
		ret = lc_boot(&n->lc, err, sizeof(err));
	if (ret)
		fprintf(stderr, "nimbus: %s\n", err);
	return ret;
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
	struct lifecycle_cfg lcfg = { .kick_signo = KICK_SIGNAL };
	char err[1024] = "";
	int ret, status = 1;

	ret = setup_signals(&n->sig_fd);
	if (ret) {
		fprintf(stderr, "nimbus: signals: %s\n", strerror(-ret));
		return 1;
	}
	ret = event_loop_new(&n->loop);
	if (ret) {
		fprintf(stderr, "nimbus: event loop: %s\n", strerror(-ret));
		return 1;
	}
	event_add(n->loop, n->sig_fd, EV_IN, on_signal, n);
	ret = evmon_open(&n->cfg.event_monitor, &n->evmon, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "nimbus: %s\n", err);
		goto out_loop;
	}
	evmon_emit(n->evmon, "vmm", "starting", NULL);
	/* lc is used by API handlers, which only run inside the loop. */
	lc_init(&n->lc, &lcfg);
	err[0] = '\0';
	ret = plugin_select(n->cfg.hv, n->cfg.hv_plugin, NIMBUS_PLUGINDIR,
			    &host, &n->plugin, err, sizeof(err));
	if (ret) {
		/* The loader's messages carry the "nimbus: " prefix. */
		fprintf(stderr, "%s\n", err);
		goto out_evmon;
	}
	log_info("hypervisor plugin %s (%s)", n->plugin.desc->name,
		 n->plugin.path);
	ret = n->plugin.ops->open(&host, &n->hv);
	if (ret) {
		fprintf(stderr, "nimbus: cannot open hypervisor %s: %s\n",
			n->plugin.desc->name, strerror(-ret));
		goto out_plugin;
	}
	/* The filters need the plugin's ioctls; every thread started from
	 * here on installs its own, the main thread right away. */
	ret = start_sandbox(n);
	if (ret)
		goto out_hv;
	if (start_api(n))
		goto out_sandbox;
	ret = sandbox_install(n->sandbox, SANDBOX_MAIN);
	if (ret) {
		fprintf(stderr,
			"nimbus: cannot install the seccomp filter: %s\n",
			strerror(-ret));
		goto out_api;
	}
	lcfg = (struct lifecycle_cfg){
		.ops = n->plugin.ops,
		.hv = n->hv,
		.loop = n->loop,
		.evmon = n->evmon,
		.sandbox = n->sandbox,
		.kick_signo = KICK_SIGNAL,
		.keep_alive = n->api != NULL,
	};
	lc_init(&n->lc, &lcfg);
	n->actx.hv_name = n->plugin.desc->name;
	if (boot_cli_vm(n))
		goto out_lc;
	ret = event_loop_run(n->loop);
	if (ret)
		fprintf(stderr, "nimbus: event loop: %s\n", strerror(-ret));
	else
		status = n->lc.exit_status;
	if (!ret && status)
		fprintf(stderr,
			"nimbus: the VM stopped on an error (see the log above)\n");

out_lc:
	/* Answers already made (vmm.shutdown's) still go out. */
	api_server_stop(n->api);
	n->api = NULL;
	lc_fini(&n->lc);
out_api:
	api_server_stop(n->api);
out_sandbox:
	sandbox_free(n->sandbox);
out_hv:
	n->plugin.ops->close(n->hv);
out_plugin:
	plugin_unload(&n->plugin);
out_evmon:
	evmon_emit(n->evmon, "vmm", "shutdown", NULL);
	evmon_close(n->evmon);
out_loop:
	event_del(n->loop, n->sig_fd);
	event_loop_free(n->loop);
	return status;
}

int main(int argc, char **argv)
{
	struct nimbus n;
	char err[512] = "";
	int ret, fd;

	memset(&n, 0, sizeof(n));
	n.sig_fd = -1;
	/* One malloc arena: glibc shrinking a thread's own arena reads
	 * /proc/sys/vm/overcommit_memory, which the seccomp filters of those
	 * threads rightly refuse (openat). */
	mallopt(M_ARENA_MAX, 1);
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
