package dev.coffer.inference.chat;

import static dev.coffer.inference.chat.ChatTemplate.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Template detection and rendering against llama.cpp. Unless a case says otherwise, template sources and expected
 * outputs are copied from llama.cpp's tests/test-chat-template.cpp (github.com/ggml-org/llama.cpp, MIT licence):
 * its {@code conversation}, its test cases' {@code template_str} and {@code expected_output} (the output of the
 * built-in templates, llm_chat_apply_template, with add_generation_prompt = true), and its {@code fmt_sys} and
 * {@code fmt_single} assertions.
 */
class ChatTemplateTest {

    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a helpful assistant"),
            ChatMessage.user("Hello"),
            ChatMessage.assistant("Hi there"),
            ChatMessage.user("Who are you"),
            ChatMessage.assistant("   I am an assistant   "),
            ChatMessage.user("Another question"));

    /** Test case name in test-chat-template.cpp, its template, the family llama.cpp detects, its expected output. */
    static Stream<Arguments> llamaCppCases() {
        return Stream.of(
                arguments("teknium/OpenHermes-2.5-Mistral-7B",
                        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
                        CHATML,
                        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"),
                arguments("mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)",
                        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
                        LLAMA_2,
                        "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"),
                arguments("TheBloke/FusionNet_34Bx2_MoE-AWQ",
                        "{%- for idx in range(0, messages|length) -%}\n{%- if messages[idx]['role'] == 'user' -%}\n{%- if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{%- else -%}\n{{- messages[idx]['content'] + ' [/INST]' -}}\n{%- endif -%}\n{% elif messages[idx]['role'] == 'system' %}\n{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}\n{%- elif messages[idx]['role'] == 'assistant' -%}\n{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}\n{% endif %}\n{% endfor %}",
                        LLAMA_2_SYS_BOS,
                        "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]"),
                arguments("bofenghuang/vigogne-2-70b-chat",
                        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif true == true and not '<<SYS>>' in messages[0]['content'] %}{% set loop_messages = messages %}{% set system_message = 'Vous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien les instructions. Aidez autant que vous le pouvez.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
                        LLAMA_2_SYS_STRIP,
                        "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]"),
                arguments("mlabonne/AlphaMonarch-7B",
                        "{% for message in messages %}{{bos_token + message['role'] + '\\n' + message['content'] + eos_token + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ bos_token + 'assistant\\n' }}{% endif %}",
                        MONARCH,
                        "system\nYou are a helpful assistant</s>\n<s>user\nHello</s>\n<s>assistant\nHi there</s>\n<s>user\nWho are you</s>\n<s>assistant\n   I am an assistant   </s>\n<s>user\nAnother question</s>\n<s>assistant\n"),
                arguments("google/gemma-7b-it",
                        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
                        GEMMA,
                        "<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n"),
                arguments("OrionStarAI/Orion-14B-Chat",
                        "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nAssistant: ' + eos_token }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
                        ORION,
                        "Human: You are a helpful assistant\n\nHello\n\nAssistant: </s>Hi there</s>Human: Who are you\n\nAssistant: </s>   I am an assistant   </s>Human: Another question\n\nAssistant: </s>"),
                arguments("openchat/openchat-3.5-0106",
                        "{{ bos_token }}{% for message in messages %}{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}",
                        OPENCHAT,
                        "You are a helpful assistant<|end_of_turn|>GPT4 Correct User: Hello<|end_of_turn|>GPT4 Correct Assistant: Hi there<|end_of_turn|>GPT4 Correct User: Who are you<|end_of_turn|>GPT4 Correct Assistant:    I am an assistant   <|end_of_turn|>GPT4 Correct User: Another question<|end_of_turn|>GPT4 Correct Assistant:"),
                arguments("deepseek-ai/deepseek-coder-33b-instruct",
                        "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}",
                        DEEPSEEK,
                        "You are a helpful assistant### Instruction:\nHello\n### Response:\nHi there\n<|EOT|>\n### Instruction:\nWho are you\n### Response:\n   I am an assistant   \n<|EOT|>\n### Instruction:\nAnother question\n### Response:\n"),
                arguments("eachadea/vicuna-13b-1.1",
                        "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{- '' + message['content'] + '\n\n' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}",
                        VICUNA,
                        "You are a helpful assistant\n\nUSER: Hello\nASSISTANT: Hi there</s>\nUSER: Who are you\nASSISTANT:    I am an assistant   </s>\nUSER: Another question\nASSISTANT:"),
                arguments("Orca-Vicuna",
                        "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{-'SYSTEM: ' + message['content'] + '\n' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}",
                        VICUNA_ORCA,
                        "SYSTEM: You are a helpful assistant\nUSER: Hello\nASSISTANT: Hi there</s>\nUSER: Who are you\nASSISTANT:    I am an assistant   </s>\nUSER: Another question\nASSISTANT:"),
                arguments("CohereForAI/c4ai-command-r-plus",
                        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif false == true %}{% set loop_messages = messages %}{% set system_message = 'You are Command-R, a brilliant, sophisticated, AI-assistant trained to assist human users by providing thorough responses. You are trained by Cohere.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}",
                        COMMAND_R,
                        "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a helpful assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hello<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hi there<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Who are you<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>I am an assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Another question<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"),
                arguments("Llama-3",
                        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}",
                        LLAMA_3,
                        "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
                arguments("Phi-3-mini",
                        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
                        PHI_3,
                        PHI_3_OUTPUT),
                arguments("Phi-3-small",
                        "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
                        PHI_3,
                        PHI_3_OUTPUT),
                arguments("Phi-3-vision",
                        "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{- '<|assistant|>\n' -}}{% endif %}",
                        PHI_3,
                        PHI_3_OUTPUT),
                arguments("ChatGLM4",
                        "[gMASK]<sop>{% for item in messages %}{% if item['tools'] is defined %}<|system|>\n你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具{% set tools = item['tools'] %}{% for tool in tools %}{% if tool['type'] == 'function' %}\n\n## {{ tool['function']['name'] }}\n\n{{ tool['function'] | tojson(indent=4) }}\n......{% endif %}{% endfor %}{% endif %}{% if item['content'] %}<|{{ item['role'] }}|>{{ item['metadata'] }}\n{{ item['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}",
                        CHATGLM_4,
                        "[gMASK]<sop><|system|>\nYou are a helpful assistant<|user|>\nHello<|assistant|>\nHi there<|user|>\nWho are you<|assistant|>\n   I am an assistant   <|user|>\nAnother question<|assistant|>\n"),
                arguments("GLMEdge",
                        "{% for item in messages %}{% if item['role'] == 'system' %}<|system|>\n{{ item['content'] }}{% elif item['role'] == 'user' %}<|user|>\n{{ item['content'] }}{% elif item['role'] == 'assistant' %}<|assistant|>\n{{ item['content'] }}{% endif %}{% endfor %}<|assistant|>",
                        GLMEDGE,
                        "<|system|>\nYou are a helpful assistant<|user|>\nHello<|assistant|>\nHi there<|user|>\nWho are you<|assistant|>\n   I am an assistant   <|user|>\nAnother question<|assistant|>"),
                arguments("mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1' template with a system prompt)",
                        "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n",
                        MISTRAL_V1,
                        " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"),
                // The two 'v3' templates are long; these are their user and assistant branches, verbatim.
                arguments("Mistral-Large-Instruct-2407 (mistralai 'v3' template; modified to have system prompt at start), excerpt",
                        "{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == user_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS] [\" }}\n            {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n",
                        MISTRAL_V3,
                        "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]"),
                arguments("Mistral-Nemo-Instruct-2407 (mistralai 'v3-tekken' template; modified to have system prompt at start), excerpt",
                        "{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == user_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS][\" }}\n            {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST]\" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- message[\"content\"] + eos_token}}\n",
                        MISTRAL_V3_TEKKEN,
                        "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]"),
                arguments("mistralai/Mistral-Large-Instruct-2411 (mistralai 'v7' template)",
                        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}{% endif %}{% endfor %}",
                        MISTRAL_V7,
                        "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]"),
                arguments("phi-4",
                        "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|><|im_start|>assistant<|im_sep|>'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}",
                        PHI_4,
                        "<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|><|im_start|>user<|im_sep|>Hello<|im_end|><|im_start|>assistant<|im_sep|>Hi there<|im_end|><|im_start|>user<|im_sep|>Who are you<|im_end|><|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|><|im_start|>user<|im_sep|>Another question<|im_end|><|im_start|>assistant<|im_sep|>"));
    }

    private static final String PHI_3_OUTPUT =
            "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n";

    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaCppCases")
    void detectsAndRendersLikeLlamaCpp(String model, String jinja, ChatTemplate family, String expected) {
        ChatTemplate detected = ChatTemplate.detect(Optional.of(jinja));
        assertThat(detected).isEqualTo(family);
        assertThat(detected.render(CONVERSATION, true)).isEqualTo(expected);
    }

    /**
     * Families that test-chat-template.cpp has no full-conversation case for. The expected outputs are worked out
     * by hand from llm_chat_apply_template in llama.cpp's src/llama-chat.cpp, not confirmed by running llama.cpp;
     * the templates are made-up fragments holding the substrings llama.cpp looks for.
     */
    static Stream<Arguments> derivedCases() {
        return Stream.of(
                arguments("{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}",
                        LLAMA_2_SYS,
                        "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"),
                arguments("{{ '<|user|>\\n' + message['content'] + '\\n' }}{{ '<|assistant|>\\n' + message['content'] + '</s>' }}",
                        FALCON_3,
                        "<|system|>\nYou are a helpful assistant\n<|user|>\nHello\n<|assistant|>\nHi there\n<|user|>\nWho are you\n<|assistant|>\n   I am an assistant   \n<|user|>\nAnother question\n<|assistant|>\n"),
                arguments("{{ '<|user|>\\n' + message['content'] + '<|endoftext|>' + '\\n' }}",
                        ZEPHYR,
                        "<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n<|assistant|>\n"),
                arguments("mistral-v7-tekken",
                        MISTRAL_V7_TEKKEN,
                        "[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("derivedCases")
    void detectsAndRendersFamiliesWithoutALlamaCppTestCase(String jinja, ChatTemplate family, String expected) {
        ChatTemplate detected = ChatTemplate.detect(Optional.of(jinja));
        assertThat(detected).isEqualTo(family);
        assertThat(detected.render(CONVERSATION, true)).isEqualTo(expected);
    }

    /** test-chat-template.cpp's fmt_sys: a lone system message, no assistant prompt, template given by name. */
    static Stream<Arguments> llamaCppSystemMessageAlone() {
        return Stream.of(
                arguments("chatml", "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"),
                arguments("mistral-v1", " [INST] You are a helpful assistant\n\n"),
                arguments("mistral-v3", "[INST] You are a helpful assistant\n\n"),
                arguments("mistral-v3-tekken", "[INST]You are a helpful assistant\n\n"),
                arguments("mistral-v7", "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT]"),
                arguments("llama2", "[INST] You are a helpful assistant\n"),
                arguments("llama2-sys", "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\n"),
                arguments("mistral", "[INST] You are a helpful assistant\n"), // for old pre-v1 templates
                arguments("gemma", ""), // for gemma, system message is merged with user message
                arguments("llama3", "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaCppSystemMessageAlone")
    void rendersALoneSystemMessageLikeLlamaCpp(String name, String expected) {
        List<ChatMessage> chat = List.of(ChatMessage.system("You are a helpful assistant"));
        assertThat(ChatTemplate.detect(Optional.of(name)).render(chat, false)).isEqualTo(expected);
    }

    /**
     * test-chat-template.cpp's fmt_single: what a new user message and the assistant prompt add to a rendered
     * history (rendered without assistant prompt). llama.cpp's common_chat_format_single puts a newline first
     * when the history ends with one, so that is added here before comparing.
     */
    static Stream<Arguments> llamaCppAppendedTurn() {
        return Stream.of(
                arguments("chatml", "\n<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n"),
                arguments("mistral-v1", " [INST] How are you [/INST]"),
                arguments("mistral-v3", "[INST] How are you[/INST]"),
                arguments("mistral-v3-tekken", "[INST]How are you[/INST]"),
                arguments("mistral-v7", "[INST] How are you[/INST]"),
                arguments("llama2", "[INST] How are you [/INST]"),
                arguments("mistral", "[INST] How are you [/INST]"), // for old pre-v1 templates
                arguments("gemma", "\n<start_of_turn>user\nHow are you<end_of_turn>\n<start_of_turn>model\n"),
                arguments("llama3", "<|start_header_id|>user<|end_header_id|>\n\nHow are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaCppAppendedTurn")
    void appendsATurnLikeLlamaCpp(String name, String expected) {
        ChatTemplate t = ChatTemplate.detect(Optional.of(name));
        List<ChatMessage> history = List.of(ChatMessage.system("You are a helpful assistant"),
                ChatMessage.user("Hello"), ChatMessage.assistant("I am assistant"));
        List<ChatMessage> extended = new ArrayList<>(history);
        extended.add(ChatMessage.user("How are you"));

        String past = t.render(history, false);
        String full = t.render(extended, true);
        assertThat(full).startsWith(past);
        String added = full.substring(past.length());
        assertThat(past.endsWith("\n") ? "\n" + added : added).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(ChatTemplate.class)
    void theAssistantPromptIsExactlyTheFamilysCue(ChatTemplate t) {
        String cue = switch (t) {
            case CHATML -> "<|im_start|>assistant\n";
            case PHI_4 -> "<|im_start|>assistant<|im_sep|>";
            case PHI_3, FALCON_3, ZEPHYR, CHATGLM_4 -> "<|assistant|>\n";
            case GLMEDGE -> "<|assistant|>";
            case MONARCH -> "<s>assistant\n";
            case GEMMA -> "<start_of_turn>model\n";
            case OPENCHAT -> "GPT4 Correct Assistant:";
            case VICUNA, VICUNA_ORCA -> "ASSISTANT:";
            case DEEPSEEK -> "### Response:\n";
            case COMMAND_R -> "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>";
            case LLAMA_3 -> "<|start_header_id|>assistant<|end_header_id|>\n\n";
            case PLAIN -> "assistant:";
            // A user turn already ends in the hand-over to the assistant; llama.cpp ignores add_ass for these.
            case LLAMA_2, LLAMA_2_SYS, LLAMA_2_SYS_BOS, LLAMA_2_SYS_STRIP, MISTRAL_V1, MISTRAL_V3, MISTRAL_V3_TEKKEN,
                    MISTRAL_V7, MISTRAL_V7_TEKKEN, ORION -> "";
        };
        assertThat(t.render(CONVERSATION, true)).isEqualTo(t.render(CONVERSATION, false) + cue);
    }

    @Test
    void withoutAnAssistantPromptChatMlEndsWithTheLastTurn() {
        assertThat(CHATML.render(CONVERSATION, false))
                .endsWith("<|im_start|>user\nAnother question<|im_end|>\n");
        assertThat(LLAMA_3.render(List.of(ChatMessage.user(" Hi ")), false))
                .isEqualTo("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    }

    @Test
    void plainFallbackIsOneLinePerMessage() {
        assertThat(PLAIN.render(CONVERSATION, true)).isEqualTo("""
                system: You are a helpful assistant
                user: Hello
                assistant: Hi there
                user: Who are you
                assistant:    I am an assistant  \s
                user: Another question
                assistant:""");
        assertThat(PLAIN.render(List.of(ChatMessage.user("Hi")), false)).isEqualTo("user: Hi\n");
    }

    @Test
    void noTemplateBlankTemplateOrAnUnknownOneFallsBackToPlain() {
        assertThat(ChatTemplate.detect(Optional.empty())).isEqualTo(PLAIN);
        assertThat(ChatTemplate.detect(Optional.of(""))).isEqualTo(PLAIN);
        assertThat(ChatTemplate.detect(Optional.of(" \n"))).isEqualTo(PLAIN);
        assertThat(ChatTemplate.detect(Optional.of("{% for message in messages %}{{ message['content'] }}{% endfor %}")))
                .isEqualTo(PLAIN);
        assertThat(ChatTemplate.detect(Optional.of("INVALID TEMPLATE"))).isEqualTo(PLAIN);
    }

    @Test
    void familiesWeDoNotRenderAreNotMistakenForOnesWeDo() {
        // SmolVLM uses <|im_start|> as its BOS but is not ChatML (llama.cpp tells it apart the same way).
        assertThat(ChatTemplate.detect(Optional.of(
                "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}: {{ message['content'] }}<end_of_utterance>\n{% endfor %}")))
                .isEqualTo(PLAIN);
        // Granite and Llama 4 come after Llama 3 in llama.cpp's tests and are not rendered here.
        assertThat(ChatTemplate.detect(Optional.of("{{- '<|start_of_role|>' + message['role'] + '<|end_of_role|>' }}")))
                .isEqualTo(PLAIN);
        assertThat(ChatTemplate.detect(Optional.of("{{- '<|header_start|>' + message['role'] + '<|header_end|>\\n\\n' }}")))
                .isEqualTo(PLAIN);
        assertThat(ChatTemplate.fromId("granite")).isEmpty();
    }

    @Test
    void zephyrStyleTemplatesEndingTurnsWithEosTokenAreGlmEdgeAsInLlamaCpp() {
        // The HuggingFaceH4/zephyr-7b-beta template (TinyLlama-Chat's is the same): <|user|> and <|assistant|> are
        // spelled out and turns end with eos_token, not a literal </s>, which llama.cpp's heuristics call GLM-Edge.
        String zephyrBeta = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
        assertThat(ChatTemplate.detect(Optional.of(zephyrBeta))).isEqualTo(GLMEDGE);
    }

    @Test
    void everyTemplateCanBeNamedByItsLlamaCppId() {
        for (ChatTemplate t : ChatTemplate.values()) {
            assertThat(ChatTemplate.fromId(t.id())).contains(t);
            assertThat(ChatTemplate.detect(Optional.of(t.id()))).isEqualTo(t);
        }
        assertThat(Arrays.stream(ChatTemplate.values()).map(ChatTemplate::id)).doesNotHaveDuplicates();
        assertThat(LLAMA_2_SYS_BOS.id()).isEqualTo("llama2-sys-bos");
        assertThat(LLAMA_2_SYS_BOS.name()).isEqualTo("LLAMA_2_SYS_BOS");
    }

    @Test
    void noRenderingStartsWithTheBosText() {
        for (ChatTemplate t : ChatTemplate.values()) {
            assertThat(t.render(CONVERSATION, true)).doesNotStartWith("<s>").doesNotStartWith("<|begin_of_text|>")
                    .doesNotStartWith("<bos>");
        }
    }

    @Test
    void trimmingRemovesOnlyAsciiWhitespaceAsLlamaCppDoes() {
        // U+00A0 and U+2003 are not isspace() in llama.cpp's trim; \t, \n, \r, \f and \v are.
        String content = "\t\u00A0Hi\u2003\r\n\f\u000B ";
        assertThat(LLAMA_3.render(List.of(ChatMessage.user(content)), false))
                .isEqualTo("<|start_header_id|>user<|end_header_id|>\n\n\u00A0Hi\u2003<|eot_id|>");
    }

    @Test
    void gemmaMergesEverySystemMessageIntoTheNextUserTurn() {
        List<ChatMessage> chat = List.of(ChatMessage.system(" Be brief. "), ChatMessage.system("Be kind."),
                ChatMessage.user("Hi"));
        assertThat(GEMMA.render(chat, true))
                .isEqualTo("<start_of_turn>user\nBe brief.Be kind.\n\nHi<end_of_turn>\n<start_of_turn>model\n");
    }

    @Test
    void anEmptyChatIsRejected() {
        for (ChatTemplate t : ChatTemplate.values()) {
            assertThatThrownBy(() -> t.render(List.of(), true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot render an empty chat: give at least one message");
        }
    }

    @Test
    void nullsAreRejected() {
        List<ChatMessage> withNull = Arrays.asList(ChatMessage.user("Hi"), null);
        assertThatThrownBy(() -> CHATML.render(withNull, true)).isInstanceOf(NullPointerException.class)
                .hasMessage("messages must not contain null");
        assertThatThrownBy(() -> CHATML.render(null, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ChatTemplate.detect(null)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mistral", "mistral-7b"})
    void aTemplateNamedMistralIsTheOldLlama2Layout(String name) {
        assertThat(ChatTemplate.detect(Optional.of(name))).isEqualTo(LLAMA_2);
    }
}
