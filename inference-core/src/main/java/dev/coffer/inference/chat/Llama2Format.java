package dev.coffer.inference.chat;

import java.util.List;

/**
 * Llama 2 chat and its variants: {@code [INST] user [/INST]assistant</s>} repeated, a system message in the first
 * turn. {@code addAssistantPrompt} changes nothing: the closing {@code [/INST]} of a user turn already hands over
 * to the assistant.
 *
 * @param systemBlock wrap a system message in {@code <<SYS>>\n...\n<</SYS>>\n\n} (else it is a plain line)
 * @param bosInsideHistory open each turn after the first with {@code <s>} (the first one's BOS is the tokenizer's)
 * @param trimContent trim every message
 */
record Llama2Format(boolean systemBlock, boolean bosInsideHistory, boolean trimContent) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder("[INST] ");
        boolean insideTurn = true;
        for (ChatMessage m : messages) {
            String content = trimContent ? AsciiSpace.trim(m.content()) : m.content();
            if (!insideTurn) {
                out.append(bosInsideHistory ? "<s>[INST] " : "[INST] ");
                insideTurn = true;
            }
            switch (m.role()) {
                case SYSTEM -> out.append(systemBlock ? "<<SYS>>\n" + content + "\n<</SYS>>\n\n" : content + "\n");
                case USER -> out.append(content).append(" [/INST]");
                case ASSISTANT -> {
                    out.append(content).append("</s>");
                    insideTurn = false;
                }
            }
        }
        return out.toString();
    }
}
