package dev.coffer.tee;

/** How one message type crosses the boundary. Decoding must reject any message that is not exactly one value. */
public interface Codec<T> {
    void write(T value, MessageWriter out);

    T read(MessageReader in);

    default byte[] encode(T value) {
        MessageWriter w = new MessageWriter();
        write(value, w);
        return w.toByteArray();
    }

    default T decode(byte[] message) {
        MessageReader r = new MessageReader(message);
        T value = read(r);
        r.end();
        return value;
    }

    /** For calls without a payload. */
    Codec<Void> NONE = new Codec<>() {
        @Override
        public void write(Void value, MessageWriter out) {
        }

        @Override
        public Void read(MessageReader in) {
            return null;
        }
    };

    Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public void write(byte[] value, MessageWriter out) {
            out.writeBytes(value);
        }

        @Override
        public byte[] read(MessageReader in) {
            return in.readBytes("bytes");
        }
    };

    Codec<String> STRING = new Codec<>() {
        @Override
        public void write(String value, MessageWriter out) {
            out.writeString(value);
        }

        @Override
        public String read(MessageReader in) {
            return in.readString("string");
        }
    };

    Codec<Long> LONG = new Codec<>() {
        @Override
        public void write(Long value, MessageWriter out) {
            out.writeLong(value);
        }

        @Override
        public Long read(MessageReader in) {
            return in.readLong("long");
        }
    };

    Codec<Integer> INT = new Codec<>() {
        @Override
        public void write(Integer value, MessageWriter out) {
            out.writeInt(value);
        }

        @Override
        public Integer read(MessageReader in) {
            return in.readInt("int");
        }
    };
}
