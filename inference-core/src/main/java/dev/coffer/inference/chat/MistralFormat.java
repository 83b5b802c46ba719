package dev.coffer.inference.chat;

import java.util.List;

/**
 * Mistral's official v1, v3 and v3-tekken layouts: {@code [INST]system\n\nuser[/INST] assistant</s>}, which differ
 * only in spaces and trimming. A system message opens the turn of the user message that follows it.
 * {@code addAssistantPrompt} changes nothing: {@code [/INST]} already hands over to the assistant.
 *
 * @param outerSpace before {@code [INST]} and before {@code [/INST]} (v1)
 * @param innerSpace after {@code [INST]} and before an assistant reply (v1, v3)
 * @param trimAssistant trim assistant replies (v3)
 */
record MistralFormat(String outerSpace, String innerSpace, boolean trimAssistant) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        boolean insideTurn = false;
        for (ChatMessage m : messages) {
            if (!insideTurn) {
                out.append(outerSpace).append("[INST]").append(innerSpace);
                insideTurn = true;
            }
            switch (m.role()) {
                case SYSTEM -> out.append(m.content()).append("\n\n");
                case USER -> out.append(m.content()).append(outerSpace).append("[/INST]");
                case ASSISTANT -> {
                    String reply = trimAssistant ? AsciiSpace.trim(m.content()) : m.content();
                    out.append(innerSpace).append(reply).append("</s>");
                    insideTurn = false;
                }
            }
        }
        return out.toString();
    }
}
