package dev.coffer.tee.enclave;

import dev.coffer.tee.Ecall;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The application's ecalls and their handlers: the whole of the secure world's entry surface, besides tee-bridge's
 *  few built-in calls. Immutable once built. */
public final class EcallTable {
    private final Map<Integer, Entry<?, ?>> entries;

    private EcallTable(Map<Integer, Entry<?, ?>> entries) {
        this.entries = Map.copyOf(entries);
    }

    public static Builder builder() {
        return new Builder();
    }

    Optional<Entry<?, ?>> find(int id) {
        return Optional.ofNullable(entries.get(id));
    }

    public int size() {
        return entries.size();
    }

    record Entry<Q, R>(Ecall<Q, R> ecall, Function<Q, R> handler) {
        byte[] invoke(byte[] payload) {
            Q request = ecall.request().decode(payload);
            return ecall.response().encode(handler.apply(request));
        }
    }

    public static final class Builder {
        private final Map<Integer, Entry<?, ?>> entries = new HashMap<>();

        public <Q, R> Builder on(Ecall<Q, R> ecall, Function<Q, R> handler) {
            if (ecall.id() < Ecall.FIRST_APPLICATION_ID) {
                throw new IllegalArgumentException("ecall " + ecall.name() + ": ids below "
                        + Ecall.FIRST_APPLICATION_ID + " are tee-bridge's");
            }
            if (entries.putIfAbsent(ecall.id(), new Entry<>(ecall, handler)) != null) {
                throw new IllegalArgumentException("two ecalls with id " + ecall.id());
            }
            return this;
        }

        public EcallTable build() {
            return new EcallTable(entries);
        }
    }
}
