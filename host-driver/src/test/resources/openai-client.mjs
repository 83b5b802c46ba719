// Drives `coffer proxy` with the official OpenAI client for Node.js, unchanged: the proxy must look like OpenAI.
// Usage: node openai-client.mjs BASE_URL   (prints one JSON object with what it saw)
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'not-needed', maxRetries: 0 });
const out = {};

out.models = (await client.models.list()).data.map(m => m.id);

const chat = await client.chat.completions.create({
  model: out.models[0],
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
  max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 2,
});
out.chat = { content: chat.choices[0].message.content, finish: chat.choices[0].finish_reason,
  usage: chat.usage, logprobs: chat.choices[0].logprobs.content.length };

const stream = await client.chat.completions.create({
  model: 'default',
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
  max_tokens: 10, temperature: 0, stream: true,
});
let streamed = '';
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  streamed += chunk.choices[0]?.delta?.content ?? '';
}
out.stream = { content: streamed, chunks };

const completion = await client.completions.create({ model: 'default', prompt: 'Once upon a time', max_tokens: 5 });
out.completion = { object: completion.object, tokens: completion.usage.completion_tokens };

try {
  await client.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] });
  out.wrongModel = 'accepted';
} catch (e) {
  out.wrongModel = { status: e.status, code: e.code };
}
console.log(JSON.stringify(out));
