package dev.coffer.inference.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChatMessageTest {

    @Test
    void theThreeApiRolesAreAccepted() {
        assertThat(ChatMessage.of("system", "s")).isEqualTo(ChatMessage.system("s"));
        assertThat(ChatMessage.of("user", "u")).isEqualTo(new ChatMessage(ChatRole.USER, "u"));
        assertThat(ChatMessage.of("assistant", "a").role()).isEqualTo(ChatRole.ASSISTANT);
        assertThat(ChatRole.ASSISTANT.wireName()).isEqualTo("assistant");
    }

    @Test
    void otherRolesAreRejectedWithTheAcceptedOnesNamed() {
        assertThatThrownBy(() -> ChatMessage.of("tool", "{}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported chat role 'tool': expected one of system, user, assistant");
        // Roles are matched exactly, as the OpenAI API spells them.
        assertThatThrownBy(() -> ChatMessage.of("User", "hi")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'User'");
        assertThatThrownBy(() -> ChatMessage.of("", "hi")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullsAreRejected() {
        assertThatThrownBy(() -> ChatMessage.of(null, "hi")).isInstanceOf(NullPointerException.class)
                .hasMessage("role");
        assertThatThrownBy(() -> ChatMessage.user(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("content");
        assertThatThrownBy(() -> new ChatMessage(null, "hi")).isInstanceOf(NullPointerException.class);
    }

    @Test
    void contentIsKeptVerbatim() {
        assertThat(ChatMessage.assistant("   I am an assistant   ").content()).isEqualTo("   I am an assistant   ");
        assertThat(ChatMessage.user("").content()).isEmpty();
    }
}
