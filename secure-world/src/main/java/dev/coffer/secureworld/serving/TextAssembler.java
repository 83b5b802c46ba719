package dev.coffer.secureworld.serving;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns token bytes into text that can be handed out: only whole UTF-8 characters (a character may be split across
 * tokens), and never text that might be the beginning of a stop sequence (it is held back until the next tokens
 * show it is not). When a stop sequence appears, the text before it is the last to go out.
 */
final class TextAssembler {
    private final List<String> stops;
    private byte[] partial = new byte[0];
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    TextAssembler(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds a token's bytes; returns the text that may go out now (possibly empty). */
    String add(byte[] bytes) {
        if (stopped) return "";
        byte[] all = new byte[partial.length + bytes.length];
        System.arraycopy(partial, 0, all, 0, partial.length);
        System.arraycopy(bytes, 0, all, partial.length, bytes.length);
        int complete = completePrefix(all);
        held.append(new String(all, 0, complete, StandardCharsets.UTF_8));
        partial = java.util.Arrays.copyOfRange(all, complete, all.length);
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = longestStopPrefixSuffix();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The generation ended without a stop sequence: what was held back goes out (an incomplete character as U+FFFD). */
    String finish() {
        if (stopped) return "";
        String out = held + new String(partial, StandardCharsets.UTF_8);
        held.setLength(0);
        partial = new byte[0];
        return out;
    }

    /** Whether a stop sequence ended the text. */
    boolean stopped() {
        return stopped;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** The length of the longest end of the held text that is a proper beginning of some stop sequence. */
    private int longestStopPrefixSuffix() {
        int keep = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > keep; len--) {
                if (held.substring(held.length() - len).equals(s.substring(0, len))) {
                    keep = len;
                    break;
                }
            }
        }
        return keep;
    }

    /** The length of the longest prefix of {@code b} that ends on a UTF-8 character boundary. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the start of a multi-byte character that is not finished
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead byte
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
