package dev.coffer.tee;

import java.util.Map;

/** Names of the x86_64 system calls that matter at the boundary, for reports and messages. */
public final class SyscallNames {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "read"), Map.entry(1, "write"), Map.entry(2, "open"), Map.entry(3, "close"),
            Map.entry(4, "stat"), Map.entry(5, "fstat"), Map.entry(9, "mmap"), Map.entry(10, "mprotect"),
            Map.entry(13, "rt_sigaction"), Map.entry(16, "ioctl"), Map.entry(21, "access"), Map.entry(22, "pipe"), Map.entry(41, "socket"),
            Map.entry(42, "connect"), Map.entry(43, "accept"), Map.entry(44, "sendto"), Map.entry(45, "recvfrom"),
            Map.entry(46, "sendmsg"), Map.entry(47, "recvmsg"), Map.entry(49, "bind"), Map.entry(50, "listen"), Map.entry(53, "socketpair"),
            Map.entry(56, "clone"), Map.entry(57, "fork"), Map.entry(58, "vfork"), Map.entry(59, "execve"),
            Map.entry(62, "kill"), Map.entry(72, "fcntl"), Map.entry(79, "getcwd"), Map.entry(89, "readlink"),
            Map.entry(97, "getrlimit"), Map.entry(98, "getrusage"), Map.entry(101, "ptrace"),
            Map.entry(157, "prctl"), Map.entry(160, "setrlimit"), Map.entry(217, "getdents64"),
            Map.entry(257, "openat"), Map.entry(262, "newfstatat"), Map.entry(288, "accept4"),
            Map.entry(302, "prlimit64"), Map.entry(310, "process_vm_readv"), Map.entry(311, "process_vm_writev"),
            Map.entry(317, "seccomp"), Map.entry(319, "memfd_create"), Map.entry(322, "execveat"),
            Map.entry(332, "statx"), Map.entry(435, "clone3"), Map.entry(437, "openat2"),
            Map.entry(447, "memfd_secret"));

    private SyscallNames() {
    }

    public static String name(int nr) {
        return NAMES.getOrDefault(nr, "syscall#" + nr);
    }
}
