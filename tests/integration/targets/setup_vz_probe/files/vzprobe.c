/*
 * vzprobe: one escape attempt per call, for vzkit's container escape test suite.
 * Copyright: vzkit.vz contributors; GPL-3.0-or-later.
 *
 * Prints "escaped" and exits 0 when the attempt worked, "denied ERRNO" and exits 1 when the kernel
 * refused it with a policy errno (EPERM, EACCES, EROFS, ENOSYS from seccomp, ...), and "failed ERRNO"
 * with exit 2 for any other outcome (the call reached its implementation: no policy stopped it).
 * Every probe uses arguments that do no harm even where it succeeds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(long rc, const char *what)
{
    if (rc >= 0) { printf("escaped %s\n", what); return 0; }
    int e = errno;
    if (e == EPERM || e == EACCES || e == EROFS || e == ENOSYS || e == ECONNREFUSED) {
        printf("denied %s %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?", what);
        return 1;
    }
    printf("failed %s %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?", what);
    return 2;
}

static int chroot_escape(const char *marker)
{
    /* The classic: chroot into a subdirectory while keeping a handle above it, then climb. */
    mkdir("/tmp/.vzprobe-jail", 0700);
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (chroot("/tmp/.vzprobe-jail") < 0) return report(-1, "chroot");
    if (fchdir(fd) < 0) return report(-1, "fchdir");
    for (int i = 0; i < 256; i++) chdir("..");
    chroot(".");
    struct stat st;
    if (stat(marker, &st) == 0) { printf("escaped sees %s\n", marker); return 0; }
    printf("denied ENOENT %s not visible after chroot break-out\n", marker);
    return 1;
}

static int abstract_connect(const char *name)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t n = strlen(name);
    memcpy(a.sun_path + 1, name, n);
    return report(connect(s, (struct sockaddr *)&a, sizeof(sa_family_t) + 1 + n), "connect @abstract");
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: vzprobe ATTEMPT [ARG]\n"); return 3; }
    const char *p = argv[1], *arg = argc > 2 ? argv[2] : "";
    char buf[64] = {0};
    if (!strcmp(p, "kexec_load")) return report(syscall(SYS_kexec_load, 0, 0, NULL, 0), p);
    if (!strcmp(p, "kexec_file_load")) return report(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0x2), p);
    if (!strcmp(p, "init_module")) return report(syscall(SYS_init_module, buf, sizeof(buf), ""), p);
    if (!strcmp(p, "finit_module")) return report(syscall(SYS_finit_module, 0, "", 0), p);
    if (!strcmp(p, "delete_module")) return report(syscall(SYS_delete_module, "vzprobe_none", O_NONBLOCK), p);
    if (!strcmp(p, "open_by_handle_at")) {
        /* Needs a handle of the root; name_to_handle_at is denied too, so try a forged one. */
        struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, {2, 0, 0, 0, 0, 0, 0, 0} };
        return report(syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY), p);
    }
    if (!strcmp(p, "name_to_handle_at")) {
        struct { unsigned int bytes; int type; unsigned char h[128]; } fh = { 128, 0, {0} };
        int mnt;
        return report(syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &fh, &mnt, 0), p);
    }
    if (!strcmp(p, "bpf")) { union bpf_attr a; memset(&a, 0, sizeof(a)); return report(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)), p); }
    if (!strcmp(p, "keyctl")) return report(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* user session */, 0), p);
    if (!strcmp(p, "add_key")) return report(syscall(SYS_add_key, "user", "vzprobe", "x", 1, -4), p);
    if (!strcmp(p, "perf_event_open")) {
        struct perf_event_attr a; memset(&a, 0, sizeof(a)); a.size = sizeof(a); a.type = PERF_TYPE_SOFTWARE;
        return report(syscall(SYS_perf_event_open, &a, -1, 0, -1, 0), p);  /* all processes on cpu 0 */
    }
    if (!strcmp(p, "userfaultfd")) return report(syscall(SYS_userfaultfd, 0), p);
    if (!strcmp(p, "swapon")) return report(syscall(SYS_swapon, "/vzprobe-none", 0), p);
    if (!strcmp(p, "acct")) return report(syscall(SYS_acct, NULL), p);
    if (!strcmp(p, "iopl")) return report(syscall(SYS_iopl, 0), p);
    if (!strcmp(p, "ioperm")) return report(syscall(SYS_ioperm, 0x80, 1, 0), p);
    if (!strcmp(p, "settimeofday")) return report(syscall(SYS_settimeofday, NULL, NULL), p);
    if (!strcmp(p, "clock_settime")) {
        struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
        return report(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), p);  /* "now": harmless if it works */
    }
    if (!strcmp(p, "syslog")) return report(syscall(SYS_syslog, 3 /* READ_ALL */, buf, sizeof(buf)), p);
    if (!strcmp(p, "ptrace")) return report(ptrace(PTRACE_ATTACH, atoi(arg), 0, 0), p);
    if (!strcmp(p, "mknod_disk")) return report(mknod("/tmp/.vzprobe-disk", S_IFBLK | 0600, makedev(atoi(arg), 0)), p);
    if (!strcmp(p, "mknod_mem")) return report(mknod("/tmp/.vzprobe-mem", S_IFCHR | 0600, makedev(1, 1)), p);
    if (!strcmp(p, "mknod_kmsg")) return report(mknod("/tmp/.vzprobe-kmsg", S_IFCHR | 0600, makedev(1, 11)), p);
    if (!strcmp(p, "chroot_escape")) return chroot_escape(arg);
    if (!strcmp(p, "abstract")) return abstract_connect(arg);
    if (!strcmp(p, "memhog")) {
        /* Allocate and touch ARG MiB, one MiB at a time; report how far it got (a memory limit
         * should have the kernel kill this process before the end). */
        long want = atol(arg);
        for (long i = 1; i <= want; i++) {
            char *m = malloc(1 << 20);
            if (!m) { printf("failed ENOMEM after %ld MiB\n", i - 1); return 2; }
            memset(m, 1, 1 << 20);
            if (i % 16 == 0) { printf("touched %ld MiB\n", i); fflush(stdout); }
        }
        printf("escaped allocated %ld MiB\n", want);
        return 0;
    }
    if (!strcmp(p, "forkloop")) {
        /* Fork children that wait, until fork fails (a process limit) or ARG are running; report
         * how many, then end them all. */
        long want = atol(arg), n = 0;
        int pipefd[2];
        if (pipe(pipefd) < 0) return report(-1, "pipe");
        for (; n < want; n++) {
            pid_t c = fork();
            if (c < 0) break;
            if (c == 0) { char b; close(pipefd[1]); read(pipefd[0], &b, 1); _exit(0); }
        }
        int e = errno;
        close(pipefd[1]);  /* children see EOF and exit */
        while (wait(NULL) > 0) {}
        printf("%s %ld %s\n", n < want ? "stopped" : "escaped", n, n < want ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "");
        return n < want ? 1 : 0;
    }
    if (!strcmp(p, "forkbomb")) {
        /* The classic: every process forks without end, ignoring failures, for ARG seconds at most
         * (a process limit holds them; a stop or destroy ends them earlier). */
        time_t end = time(NULL) + atol(arg);
        while (time(NULL) < end) fork();
        return 0;
    }
    if (!strcmp(p, "newcgroupns") && argc > 2) {
        /* Run PROG ARGS in a new cgroup namespace (rooted where this process is) and mount namespace:
         * the tenant's first step before mounting cgroupfs, in case the new root reaches further. */
        if (unshare(CLONE_NEWCGROUP | CLONE_NEWNS) < 0) return report(-1, "unshare cgroup namespace");
        execvp(argv[2], argv + 2);
        return report(-1, "exec");
    }
    if (!strcmp(p, "unshare_mount_remount")) {
        /* In a fresh mount namespace of its own, try to make the host tunables writable. */
        if (unshare(CLONE_NEWNS) < 0) return report(-1, "unshare");
        return report(mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL), "remount /proc/sys rw");
    }
    fprintf(stderr, "vzprobe: unknown attempt %s\n", p);
    return 3;
}
