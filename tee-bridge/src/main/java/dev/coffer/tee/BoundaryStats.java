package dev.coffer.tee;

import java.util.Map;
import java.util.TreeMap;

/**
 * What has crossed the boundary so far: ecalls (one request and its response = one crossing), ocalls, bytes each
 * way over the channel, and the system calls the secure world tried that its filter denied, by number (x86_64).
 * {@code filterEnforced} is false in sim, where nothing is filtered.
 */
public record BoundaryStats(long ecalls, long ocalls, long bytesToEnclave, long bytesFromEnclave,
                            Map<Integer, Long> deniedSyscalls, boolean filterEnforced) {
    public BoundaryStats {
        deniedSyscalls = Map.copyOf(deniedSyscalls);
    }

    public long deniedTotal() {
        return deniedSyscalls.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Denied calls with their names where known, e.g. {@code {openat=2, socket=1}}. */
    public Map<String, Long> deniedByName() {
        Map<String, Long> out = new TreeMap<>();
        deniedSyscalls.forEach((nr, n) -> out.merge(SyscallNames.name(nr), n, Long::sum));
        return out;
    }

    /** The difference since an earlier snapshot (for per-run figures). */
    public BoundaryStats since(BoundaryStats before) {
        Map<Integer, Long> denied = new TreeMap<>(deniedSyscalls);
        before.deniedSyscalls.forEach((nr, n) -> denied.merge(nr, -n, Long::sum));
        denied.values().removeIf(v -> v == 0);
        return new BoundaryStats(ecalls - before.ecalls, ocalls - before.ocalls, bytesToEnclave - before.bytesToEnclave,
                bytesFromEnclave - before.bytesFromEnclave, denied, filterEnforced);
    }
}
