package dev.coffer.inference.chat;

import java.util.List;

/**
 * Vicuna 1.1: {@code USER: ...\nASSISTANT: ...</s>\n}, a system message as a paragraph of its own, or, for the
 * Orca-Vicuna variant, as a {@code SYSTEM: } line.
 */
record VicunaFormat(boolean systemLine) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> out.append(systemLine ? "SYSTEM: " + m.content() + "\n" : m.content() + "\n\n");
                case USER -> out.append("USER: ").append(m.content()).append('\n');
                case ASSISTANT -> out.append("ASSISTANT: ").append(m.content()).append("</s>\n");
            }
        }
        if (addAssistantPrompt) {
            out.append("ASSISTANT:");
        }
        return out.toString();
    }
}
