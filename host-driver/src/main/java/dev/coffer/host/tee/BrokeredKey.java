package dev.coffer.host.tee;

import dev.coffer.attestation.EnclaveAttester;
import dev.coffer.attestation.Evidence;
import dev.coffer.attestation.KeyBroker;
import dev.coffer.attestation.KeyBrokerMessages;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.pack.PackFile;
import dev.coffer.tee.Enclave;
import java.io.IOException;
import java.net.URI;

/**
 * The serving host's side of the key broker protocol: it relays opaque messages and never holds the key. The
 * secure world first checks and claims the pack; the host asks the broker for the pack's key and gets a challenge;
 * the secure world answers it with evidence; the broker's answer is the key sealed to the secure world's enclave key.
 */
public final class BrokeredKey {
    private BrokeredKey() {
    }

    /** @throws KeyBrokerRefusedException when the broker says no (its reason included) */
    public static PackUnlock fetch(Enclave enclave, EnclaveModelRunner runner, PackFile pack, long minVersion,
                                   URI broker, HttpsClient client) throws IOException {
        runner.preparePack(pack, minVersion);
        HttpsClient.Reply asked = client.postJson(HttpsClient.resolve(broker, KeyBrokerMessages.REQUEST_PATH),
                KeyBrokerMessages.request(pack.header().encode()));
        if (asked.status() != 200) throw new KeyBrokerRefusedException(broker, asked);
        KeyBroker.Challenge challenge = KeyBrokerMessages.parseChallenge(asked.body());
        Evidence evidence = new EnclaveAttester(enclave).attest(challenge.nonce(), new byte[0]);
        HttpsClient.Reply released = client.postJson(HttpsClient.resolve(broker, KeyBrokerMessages.RELEASE_PATH),
                KeyBrokerMessages.releaseRequest(challenge.session(), evidence));
        if (released.status() != 200) throw new KeyBrokerRefusedException(broker, released);
        return PackUnlock.released(KeyBrokerMessages.parseRelease(released.body()).sealedKey());
    }

    /** The broker refused; the message carries its status and reason. */
    public static final class KeyBrokerRefusedException extends IOException {
        KeyBrokerRefusedException(URI broker, HttpsClient.Reply reply) {
            super("the key broker " + broker + " refused the pack's key (HTTP " + reply.status() + "): "
                    + KeyBrokerMessages.errorMessage(reply.body()));
        }
    }
}
