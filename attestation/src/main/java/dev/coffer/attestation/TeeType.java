package dev.coffer.attestation;

import java.util.Arrays;
import java.util.Optional;

/** Which trusted execution environment produced evidence. Only hardware types protect against the host's owner. */
public enum TeeType {
    /** tee-bridge's sim backend: no isolation at all, always debug. */
    SIM("sim", false),
    /** tee-bridge's isolated backend: a separate, sandboxed process with memfd_secret memory; its platform key is
     *  kept by the host, so whoever owns the host can forge its reports. A software TEE. */
    ISOLATED("isolated", false),
    TDX("tdx", true),
    SEV_SNP("sev-snp", true),
    CCA("cca", true);

    private final String id;
    private final boolean hardware;

    TeeType(String id, boolean hardware) {
        this.id = id;
        this.hardware = hardware;
    }

    public String id() {
        return id;
    }

    public boolean hardware() {
        return hardware;
    }

    public static Optional<TeeType> find(String id) {
        return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst();
    }

    /** @throws IllegalArgumentException naming the known types */
    public static TeeType parse(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException("unknown TEE type '" + id + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(TeeType::id).toList()) + ")"));
    }
}
