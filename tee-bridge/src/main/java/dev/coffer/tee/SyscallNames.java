package dev.coffer.tee;

import java.util.Map;

/** Names of the x86_64 system calls a JVM or an attacker inside is likely to make, for reports and messages. */
public final class SyscallNames {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "read"), Map.entry(1, "write"), Map.entry(2, "open"), Map.entry(3, "close"),
            Map.entry(4, "stat"), Map.entry(5, "fstat"), Map.entry(6, "lstat"), Map.entry(7, "poll"),
            Map.entry(8, "lseek"), Map.entry(9, "mmap"), Map.entry(10, "mprotect"), Map.entry(11, "munmap"),
            Map.entry(12, "brk"), Map.entry(13, "rt_sigaction"), Map.entry(14, "rt_sigprocmask"),
            Map.entry(16, "ioctl"), Map.entry(17, "pread64"), Map.entry(21, "access"), Map.entry(22, "pipe"),
            Map.entry(24, "sched_yield"), Map.entry(25, "mremap"), Map.entry(27, "mincore"),
            Map.entry(28, "madvise"), Map.entry(32, "dup"), Map.entry(33, "dup2"), Map.entry(35, "nanosleep"),
            Map.entry(39, "getpid"), Map.entry(41, "socket"), Map.entry(42, "connect"), Map.entry(43, "accept"),
            Map.entry(44, "sendto"), Map.entry(45, "recvfrom"), Map.entry(46, "sendmsg"), Map.entry(47, "recvmsg"),
            Map.entry(49, "bind"), Map.entry(50, "listen"), Map.entry(53, "socketpair"), Map.entry(56, "clone"),
            Map.entry(57, "fork"), Map.entry(58, "vfork"), Map.entry(59, "execve"), Map.entry(61, "wait4"),
            Map.entry(62, "kill"), Map.entry(63, "uname"), Map.entry(72, "fcntl"), Map.entry(79, "getcwd"),
            Map.entry(89, "readlink"), Map.entry(96, "gettimeofday"), Map.entry(97, "getrlimit"),
            Map.entry(98, "getrusage"), Map.entry(99, "sysinfo"), Map.entry(101, "ptrace"), Map.entry(102, "getuid"),
            Map.entry(104, "getgid"), Map.entry(107, "geteuid"), Map.entry(108, "getegid"),
            Map.entry(110, "getppid"), Map.entry(131, "sigaltstack"), Map.entry(137, "statfs"),
            Map.entry(157, "prctl"), Map.entry(158, "arch_prctl"), Map.entry(160, "setrlimit"),
            Map.entry(186, "gettid"), Map.entry(200, "tkill"), Map.entry(202, "futex"),
            Map.entry(204, "sched_getaffinity"), Map.entry(217, "getdents64"), Map.entry(218, "set_tid_address"),
            Map.entry(228, "clock_gettime"), Map.entry(229, "clock_getres"), Map.entry(230, "clock_nanosleep"),
            Map.entry(231, "exit_group"), Map.entry(234, "tgkill"), Map.entry(257, "openat"),
            Map.entry(262, "newfstatat"), Map.entry(273, "set_robust_list"), Map.entry(288, "accept4"),
            Map.entry(293, "pipe2"), Map.entry(302, "prlimit64"), Map.entry(309, "getcpu"),
            Map.entry(310, "process_vm_readv"), Map.entry(311, "process_vm_writev"), Map.entry(317, "seccomp"),
            Map.entry(318, "getrandom"), Map.entry(319, "memfd_create"), Map.entry(322, "execveat"),
            Map.entry(324, "membarrier"), Map.entry(332, "statx"), Map.entry(334, "rseq"), Map.entry(435, "clone3"),
            Map.entry(437, "openat2"), Map.entry(439, "faccessat2"), Map.entry(447, "memfd_secret"));

    private SyscallNames() {
    }

    public static String name(int nr) {
        return NAMES.getOrDefault(nr, "syscall#" + nr);
    }
}
