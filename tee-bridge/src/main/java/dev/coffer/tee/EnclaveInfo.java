package dev.coffer.tee;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/** What the host knows about a running secure world. */
public record EnclaveInfo(Backend backend, boolean debug, EnclaveIdentity identity, long secureMemoryBytes,
                          List<String> syscallAllowlist, OptionalLong pid) {
    public EnclaveInfo {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(identity, "identity");
        syscallAllowlist = List.copyOf(syscallAllowlist);
        Objects.requireNonNull(pid, "pid");
    }
}
