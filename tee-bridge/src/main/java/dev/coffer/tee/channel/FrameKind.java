package dev.coffer.tee.channel;

/** What a frame on the host/secure-world channel carries. */
public enum FrameKind {
    /** host → secure world: an ecall; the frame id is the call id. */
    CALL(1),
    /** secure world → host: the end of an ecall; the frame id is a {@link Status}. */
    RETURN(2),
    /** secure world → host, during an ecall: a request to the platform (e.g. sign a report); id = platform call. */
    OCALL(3),
    /** host → secure world: the platform's answer to an {@link #OCALL}; the frame id is a {@link Status}. */
    OCALL_RETURN(4);

    final int code;

    FrameKind(int code) {
        this.code = code;
    }

    static FrameKind of(int code) {
        for (FrameKind k : values()) if (k.code == code) return k;
        return null;
    }

    /** The outcome of a call, carried as the id of a RETURN or OCALL_RETURN frame. */
    public enum Status {
        /** payload = the response */
        OK(0),
        /** the handler failed; payload = a UTF-8 message that must not carry secrets */
        FAILED(1),
        /** the message was refused before any handler ran (unknown call, malformed or oversized); payload = why */
        REJECTED(2);

        public final int code;

        Status(int code) {
            this.code = code;
        }

        public static Status of(int code) {
            for (Status s : values()) if (s.code == code) return s;
            return null;
        }
    }
}
