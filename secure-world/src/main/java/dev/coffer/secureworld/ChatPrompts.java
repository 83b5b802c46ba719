package dev.coffer.secureworld;

import dev.coffer.secureworld.serving.OpenAiRequest;
import java.util.List;
import java.util.Optional;

/** Chat messages to prompt text with the model's own chat template (placeholder until the template families land). */
final class ChatPrompts {
    private ChatPrompts() {
    }

    static String render(Optional<String> template, List<OpenAiRequest.Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (OpenAiRequest.Message m : messages) sb.append(m.role()).append(": ").append(m.content()).append('\n');
        return sb.append("assistant:").toString();
    }
}
