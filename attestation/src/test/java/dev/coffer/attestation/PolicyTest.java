package dev.coffer.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PolicyTest {
    @Test
    void theDefaultAcceptsHardwareOnlyWithoutDebugForFiveMinutesBoundToTls() {
        Policy d = Policy.defaults();
        assertThat(d.allowedTee()).containsExactlyInAnyOrder(TeeType.TDX, TeeType.SEV_SNP, TeeType.CCA);
        assertThat(d.allowDebug()).isFalse();
        assertThat(d.maxAge()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.requireTlsBinding()).isTrue();
        assertThat(Policy.parse("{}")).isEqualTo(d);
    }

    @Test
    void aPolicyFileRoundTripsAndKeepsStrictDefaultsForWhatItLeavesOut() {
        Policy p = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"min_security_version\": 2}");
        assertThat(p.allowedTee()).containsExactly(TeeType.ISOLATED);
        assertThat(p.allowDebug()).isFalse();
        assertThat(Policy.parse(p.toJson())).isEqualTo(p);
    }

    @Test
    void mistakesInAPolicyAreErrorsNotLooserPolicies() {
        assertThatThrownBy(() -> Policy.parse("{\"allow_debugg\": true}")).isInstanceOf(PolicyException.class)
                .hasMessageContaining("unknown member \"allow_debugg\"");
        assertThatThrownBy(() -> Policy.parse("{\"allowed_tee\": [\"sgx2\"]}")).hasMessageContaining("unknown TEE type 'sgx2'");
        assertThatThrownBy(() -> Policy.parse("{\"allowed_tee\": []}")).hasMessageContaining("allows no TEE type");
        assertThatThrownBy(() -> Policy.parse("{\"max_age_seconds\": \"300\"}")).hasMessageContaining("must be an integer");
        assertThatThrownBy(() -> Policy.parse("{\"allowed_measurements\": [\"abc\"]}")).hasMessageContaining("64-digit hex");
        assertThatThrownBy(() -> Policy.parse("[1]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> Policy.parse("{\"max_age_seconds\": 0}")).hasMessageContaining("positive");
    }
}
