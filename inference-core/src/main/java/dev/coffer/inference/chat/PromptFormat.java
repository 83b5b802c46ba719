package dev.coffer.inference.chat;

import java.util.List;

/** How one template family lays out a chat. Implementations are immutable. */
interface PromptFormat {

    /**
     * The prompt text for {@code messages}, which {@link ChatTemplate#render} has already checked: a non-empty,
     * immutable list without nulls.
     */
    String format(List<ChatMessage> messages, boolean addAssistantPrompt);
}
