package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SimEnclaveTest extends EnclaveContract {
    @Override
    Enclave create(Path temp, int securityVersion) {
        return Enclave.create(EnclaveImage.inProcess("dev.coffer.tee.testapp.ProbeApplication"),
                EnclaveSettings.defaults(Backend.SIM, temp.resolve("state")).withSecureMemory(64L << 20));
    }

    @Test
    void simIsAlwaysDebugAndFiltersNothing() {
        assertThat(enclave.info().debug()).isTrue();
        assertThat(enclave.evidence(new byte[16], new byte[0]).report().debug()).isTrue();
        assertThat(enclave.stats().filterEnforced()).isFalse();
    }
}
