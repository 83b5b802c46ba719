package dev.coffer.inference.chat;

import java.util.List;

/**
 * AlphaMonarch: {@code role\ncontent</s>\n} per message, each after the first opened by {@code <s>} (the first
 * one's BOS is the tokenizer's).
 */
record MonarchFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (i > 0) {
                out.append("<s>");
            }
            out.append(m.role().wireName()).append('\n').append(m.content()).append("</s>\n");
        }
        if (addAssistantPrompt) {
            out.append("<s>assistant\n");
        }
        return out.toString();
    }
}
