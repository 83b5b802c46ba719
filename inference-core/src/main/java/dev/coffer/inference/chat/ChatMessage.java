package dev.coffer.inference.chat;

import java.util.Objects;

/**
 * One turn of a chat: who speaks and what they say. The text is kept exactly as given, surrounding whitespace
 * included, because some template families keep it and others trim it.
 */
public record ChatMessage(ChatRole role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /**
     * A message as an API request spells it.
     *
     * @throws IllegalArgumentException if {@code role} is not system, user or assistant
     */
    public static ChatMessage of(String role, String content) {
        Objects.requireNonNull(role, "role");
        return new ChatMessage(ChatRole.fromWireName(role), content);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(ChatRole.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(ChatRole.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ChatRole.ASSISTANT, content);
    }
}
