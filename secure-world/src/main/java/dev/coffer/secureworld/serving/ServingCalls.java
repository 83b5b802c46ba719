package dev.coffer.secureworld.serving;

import dev.coffer.tee.Codec;
import dev.coffer.tee.Ecall;
import dev.coffer.tee.MessageReader;
import dev.coffer.tee.MessageWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The data-plane calls for serving the OpenAI API (co-driver style: the host schedules, the secure world computes):
 * admit one request (open it, read it, prefill, first token), step every running request by one token in one
 * crossing, cancel one. Request and answer bodies cross sealed (docs/sealed-bodies.md), or plain when the host was
 * started with {@code --allow-plaintext}.
 */
public final class ServingCalls {
    private ServingCalls() {
    }

    /** A request as the host received it: its route ({@code POST /v1/chat/completions}), sealed or not, its body. */
    public record Admit(String route, boolean sealed, byte[] body) {
        @Override
        public String toString() {
            return "Admit[" + route + ", " + body.length + " bytes]";
        }
    }

    /**
     * What a request produced: its id (-1 when refused), the HTTP status for the host to answer with, whether it
     * streams, whether the messages are sealed (they are whenever the request was and opened), the answer messages
     * (the last one ends the answer), and whether it is finished.
     */
    public record Messages(int id, int status, boolean stream, boolean sealed, List<byte[]> messages, boolean finished) {
        public Messages {
            messages = List.copyOf(messages);
        }
    }

    static final Codec<Admit> ADMIT_REQUEST = new Codec<>() {
        @Override
        public void write(Admit v, MessageWriter out) {
            out.writeString(v.route()).writeBoolean(v.sealed()).writeBytes(v.body());
        }

        @Override
        public Admit read(MessageReader in) {
            return new Admit(in.readString("route"), in.readBoolean("sealed"), in.readBytes("body"));
        }
    };

    static final Codec<Messages> MESSAGES = new Codec<>() {
        @Override
        public void write(Messages v, MessageWriter out) {
            out.writeInt(v.id()).writeInt(v.status()).writeBoolean(v.stream()).writeBoolean(v.sealed()).writeBoolean(v.finished())
                    .writeInt(v.messages().size());
            for (byte[] m : v.messages()) out.writeBytes(m);
        }

        @Override
        public Messages read(MessageReader in) {
            int id = in.readInt("id");
            int status = in.readInt("status");
            boolean stream = in.readBoolean("stream");
            boolean sealed = in.readBoolean("sealed");
            boolean finished = in.readBoolean("finished");
            int n = in.readCount("messages", 1 << 16);
            List<byte[]> messages = new ArrayList<>(n);
            for (int i = 0; i < n; i++) messages.add(in.readBytes("message"));
            return new Messages(id, status, stream, sealed, messages, finished);
        }
    };

    static final Codec<List<Messages>> MESSAGES_LIST = new Codec<>() {
        @Override
        public void write(List<Messages> v, MessageWriter out) {
            out.writeInt(v.size());
            for (Messages m : v) MESSAGES.write(m, out);
        }

        @Override
        public List<Messages> read(MessageReader in) {
            int n = in.readCount("requests", 1 << 12);
            List<Messages> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(MESSAGES.read(in));
            return out;
        }
    };

    static final Codec<int[]> IDS = new Codec<>() {
        @Override
        public void write(int[] v, MessageWriter out) {
            out.writeInts(v);
        }

        @Override
        public int[] read(MessageReader in) {
            return in.readInts("ids", 1 << 12);
        }
    };

    /** Set how many requests may run at once (each gets its own KV cache in secret memory, made on first use);
     *  returns the served model's id (what {@code GET /v1/models} lists and requests name). */
    public static final Ecall<Integer, String> SERVE_CONFIGURE = Ecall.of(220, "serve-configure", Codec.INT, Codec.STRING);
    /** Open and read one request, prefill it and produce its first token (or refuse it, with the reason sealed). */
    public static final Ecall<Admit, Messages> SERVE_ADMIT = Ecall.of(221, "serve-admit", ADMIT_REQUEST, MESSAGES);
    /** One token for each of these running requests: one crossing per decode iteration for the whole batch. */
    public static final Ecall<int[], List<Messages>> SERVE_STEP = Ecall.of(222, "serve-step", IDS, MESSAGES_LIST);
    /** Stop a request (its client went away); its KV cache slot is free again. */
    public static final Ecall<Integer, Void> SERVE_CANCEL = Ecall.of(223, "serve-cancel", Codec.INT, Codec.NONE);
}
