package dev.coffer.inference.chat;

import java.util.List;

/**
 * Our fallback for models without a usable template (see {@link ChatTemplate#PLAIN}): {@code role: content\n} per
 * message, then {@code assistant:} if asked. No special tokens, so it tokenizes the same with or without special
 * token parsing, and reads as a transcript to a model that was never trained on a chat layout.
 */
record PlainFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            out.append(m.role().wireName()).append(": ").append(m.content()).append('\n');
        }
        if (addAssistantPrompt) {
            out.append("assistant:");
        }
        return out.toString();
    }
}
