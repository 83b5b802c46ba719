package dev.coffer.inference.chat;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Who speaks in a chat turn: the three roles of the OpenAI chat API that every template family knows. */
public enum ChatRole {
    SYSTEM("system"),
    USER("user"),
    ASSISTANT("assistant");

    private final String wireName;

    ChatRole(String wireName) {
        this.wireName = wireName;
    }

    /** The role as the OpenAI API spells it, and as most templates print it: {@code system}, {@code user}... */
    public String wireName() {
        return wireName;
    }

    /**
     * The role an API request names.
     *
     * @throws IllegalArgumentException for any other name, including other roles of the OpenAI API
     *         ({@code tool}, {@code developer}) that no template here can render
     */
    public static ChatRole fromWireName(String name) {
        for (ChatRole role : values()) {
            if (role.wireName.equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unsupported chat role '" + name + "': expected one of "
                + Arrays.stream(values()).map(ChatRole::wireName).collect(Collectors.joining(", ")));
    }
}
