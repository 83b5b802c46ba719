package dev.coffer.tee.enclave;

import dev.coffer.tee.Report;

/** How the secure world reaches its platform: directly in the sim backend, by an ocall in the isolated one. */
@FunctionalInterface
public interface PlatformPort {
    Report report(String memoryMode, byte[] syscallPolicy, byte[] reportData);
}
