package dev.coffer.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.pack.RecipientPrivateKey;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Sealed bodies between a client and the secure world: they open only there, only for their route, only intact;
 *  answers open only for their request, in order, and a stream cut short is visible. */
class SealedBodiesTest {
    private static final String ROUTE = "POST /v1/chat/completions";
    private final RecipientPrivateKey enclave = RecipientPrivateKey.generate();
    private final byte[] body = "{\"messages\":[{\"role\":\"user\",\"content\":\"my secret\"}]}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aRequestAndItsStreamedAnswerRoundTrip() {
        SealedBodies.ClientExchange client = SealedBodies.seal(enclave.publicKey(), ROUTE, body);
        assertThat(new String(client.request(), StandardCharsets.ISO_8859_1)).doesNotContain("my secret");
        try (SealedBodies.ServerExchange server = SealedBodies.open(enclave, ROUTE, client.request())) {
            assertThat(server.body()).isEqualTo(body);
            byte[] e0 = server.seal("event 0".getBytes(StandardCharsets.UTF_8), false, 200);
            byte[] e1 = server.seal("event 1".getBytes(StandardCharsets.UTF_8), false, 200);
            byte[] done = server.seal("[DONE]".getBytes(StandardCharsets.UTF_8), true, 200);
            assertThat(new String(client.open(e0, 200), StandardCharsets.UTF_8)).isEqualTo("event 0");
            assertThat(client.complete()).isFalse();
            assertThat(new String(client.open(e1, 200), StandardCharsets.UTF_8)).isEqualTo("event 1");
            assertThat(new String(client.open(done, 200), StandardCharsets.UTF_8)).isEqualTo("[DONE]");
            assertThat(client.complete()).isTrue();
            assertThatThrownBy(() -> client.open(e1, 200)).isInstanceOf(SealedBodyException.class).hasMessageContaining("after the last");
            assertThatThrownBy(() -> server.seal(new byte[1], false, 200)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aRequestOpensOnlyWithItsKeyOnItsRouteAndIntact() {
        byte[] wire = SealedBodies.seal(enclave.publicKey(), ROUTE, body).request();
        assertThatThrownBy(() -> SealedBodies.open(RecipientPrivateKey.generate(), ROUTE, wire))
                .isInstanceOf(SealedBodyException.class).hasMessageContaining("re-attest");
        assertThatThrownBy(() -> SealedBodies.open(enclave, "POST /v1/completions", wire))
                .isInstanceOf(SealedBodyException.class).hasMessageContaining("another route");
        for (int i = 0; i < wire.length; i += 5) {
            byte[] bad = wire.clone();
            bad[i] ^= 0x20;
            assertThatThrownBy(() -> SealedBodies.open(enclave, ROUTE, bad)).as("byte " + i).isInstanceOf(SealedBodyException.class);
        }
        assertThatThrownBy(() -> SealedBodies.open(enclave, ROUTE, new byte[40])).isInstanceOf(SealedBodyException.class);
    }

    @Test
    void answersCannotBeReorderedDroppedReplayedOrMovedToAnotherRequest() {
        SealedBodies.ClientExchange client = SealedBodies.seal(enclave.publicKey(), ROUTE, body);
        SealedBodies.ClientExchange other = SealedBodies.seal(enclave.publicKey(), ROUTE, body);
        try (SealedBodies.ServerExchange server = SealedBodies.open(enclave, ROUTE, client.request())) {
            byte[] e0 = server.seal(new byte[] {0}, false, 200);
            byte[] e1 = server.seal(new byte[] {1}, false, 200);
            byte[] e2 = server.seal(new byte[] {2}, true, 200);
            assertThatThrownBy(() -> other.open(e0, 200)).as("another request's answer").isInstanceOf(SealedBodyException.class);
            assertThatThrownBy(() -> client.open(e1, 200)).as("e0 dropped").isInstanceOf(SealedBodyException.class);
            assertThat(client.open(e0, 200)).containsExactly(0);
            assertThatThrownBy(() -> client.open(e0, 200)).as("replayed").isInstanceOf(SealedBodyException.class);
            assertThatThrownBy(() -> client.open(e2, 200)).as("e1 dropped: the last cannot come early").isInstanceOf(SealedBodyException.class);
            assertThat(client.open(e1, 200)).containsExactly(1);
            assertThat(client.complete()).as("cut short before the last message").isFalse();
        }
    }

    @Test
    void aReplayedRequestGetsFreshAnswerKeysAndAChangedStatusIsDetected() {
        byte[] wire = SealedBodies.seal(enclave.publicKey(), ROUTE, body).request();
        byte[] a;
        byte[] b;
        try (SealedBodies.ServerExchange s1 = SealedBodies.open(enclave, ROUTE, wire);
             SealedBodies.ServerExchange s2 = SealedBodies.open(enclave, ROUTE, wire)) {
            byte[] same = "the same answer".getBytes(StandardCharsets.UTF_8);
            a = s1.seal(same, true, 200);
            b = s2.seal(same, true, 200);
        }
        // Each answer starts with its own random response nonce: no key or nonce is ever used twice.
        assertThat(java.util.Arrays.copyOf(a, 32)).isNotEqualTo(java.util.Arrays.copyOf(b, 32));
        assertThat(java.util.Arrays.copyOfRange(a, 32, a.length)).isNotEqualTo(java.util.Arrays.copyOfRange(b, 32, b.length));
        SealedBodies.ClientExchange client = SealedBodies.seal(enclave.publicKey(), ROUTE, body);
        try (SealedBodies.ServerExchange server = SealedBodies.open(enclave, ROUTE, client.request())) {
            byte[] answer = server.seal("{}".getBytes(StandardCharsets.UTF_8), true, 404);
            assertThatThrownBy(() -> client.open(answer, 200)).as("status changed by the host").isInstanceOf(SealedBodyException.class);
            assertThat(client.open(answer, 404)).containsExactly('{', '}');
        }
    }

    @Test
    void aLowOrderKeyIsARefusalNotACrash() {
        byte[] wire = new byte[48];
        assertThatThrownBy(() -> SealedBodies.open(enclave, ROUTE, wire)).isInstanceOf(SealedBodyException.class);
    }
}
