// Coffer's llama.cpp peer, run through node-llama-cpp's prebuilt CPU binaries (no build from source).
// The Java side (dev.coffer.bench.NodeLlamaPeer) installs node-llama-cpp into a cache directory and runs this file
// with NODE_PATH pointing there. Two modes, both print JSON only on stdout (llama.cpp logs are silenced):
//
//   node peer.mjs speed <model.gguf> --threads N [--prefill 128] [--decode 128] [--warmup 1]
//       one line: {"prefill_tok_s":..,"decode_tok_s":..,"threads":N,...}
//   node peer.mjs serve <model.gguf> --threads N
//       reads one JSON request per stdin line, answers one JSON line each:
//       {"prompt":[ids],"n":64,"top":10} -> {"tokens":[greedy ids],"top":[[id,prob],...]}
//       "top" are the softmax probabilities of the raw logits after the prompt (temperature 1, no truncation).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {createInterface} from "node:readline";

const [mode, modelPath, ...rest] = process.argv.slice(2);
const opts = {threads: 1, prefill: 128, decode: 128, warmup: 1, ctx: 512};
for (let i = 0; i < rest.length; i += 2) {
  const key = rest[i].replace(/^--/, "");
  if (!(key in opts)) fail(`unknown option ${rest[i]}`);
  opts[key] = Number(rest[i + 1]);
}
if (!["speed", "serve"].includes(mode) || !modelPath) fail("usage: peer.mjs speed|serve <model.gguf> [--threads N]");

function fail(msg) {
  process.stderr.write(`peer.mjs: ${msg}\n`);
  process.exit(2);
}

// gpu:false and build:"never": the CPU prebuilt binary or nothing, so numbers never come from a GPU or a local build.
// maxThreads 0 makes `threads` exact rather than a hint shared across contexts.
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.disabled, maxThreads: 0,
  progressLogs: false});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({contextSize: opts.ctx, batchSize: Math.max(opts.prefill, 512),
  sequences: 1, threads: opts.threads, flashAttention: false});
const sequence = context.getSequence();

if (mode === "speed") {
  await speed();
} else {
  await serve();
}
await context.dispose();
await model.dispose();
await llama.dispose();

// Synthetic prompt: BOS then fixed ordinary ids below 400 (valid in every vocabulary we bench), so prefill cost does
// not depend on a tokenizer. dev.coffer.bench.BenchPrompt builds the same ids for Coffer.
function prefillTokens(n) {
  const out = [model.tokens.bos ?? 1];
  for (let i = 1; i < n; i++) out.push(100 + ((i * 37) % 300));
  return out;
}

async function oneRun() {
  await sequence.clearHistory();
  const prompt = prefillTokens(opts.prefill);
  const t0 = process.hrtime.bigint();
  await sequence.evaluateWithoutGeneratingNewTokens(prompt);
  const t1 = process.hrtime.bigint();
  // Each iteration of evaluate() runs one single-token decode step and samples greedily.
  let count = 0;
  const t2 = process.hrtime.bigint();
  for await (const token of sequence.evaluate([prompt[prompt.length - 1]], {temperature: 0})) {
    void token;
    if (++count >= opts.decode) break;
  }
  const t3 = process.hrtime.bigint();
  return {prefillS: Number(t1 - t0) / 1e9, decodeS: Number(t3 - t2) / 1e9};
}

async function speed() {
  for (let i = 0; i < opts.warmup; i++) await oneRun();
  const r = await oneRun();
  console.log(JSON.stringify({
    threads: opts.threads, prefill_tokens: opts.prefill, decode_tokens: opts.decode,
    prefill_tok_s: opts.prefill / r.prefillS, decode_tok_s: opts.decode / r.decodeS,
    llama_cpp_build: llama.buildType, gpu: llama.gpu
  }));
}

async function serve() {
  const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
  console.log(JSON.stringify({ready: true, bos: model.tokens.bos, eos: model.tokens.eos}));
  for await (const line of lines) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    await sequence.clearHistory();
    const top = await firstStepTop(req.prompt, req.top ?? 10);
    await sequence.clearHistory();
    const tokens = [];
    if (req.n > 0) {
      for await (const token of sequence.evaluate(req.prompt, {temperature: 0})) {
        tokens.push(token);
        if (tokens.length >= req.n) break;
      }
    }
    console.log(JSON.stringify({tokens, top}));
  }
}

// Probabilities after the prompt with no sampler truncation: softmax of the raw logits.
async function firstStepTop(prompt, k) {
  if (k <= 0) return [];
  for await (const out of sequence.evaluateWithMetadata(prompt, {probabilities: true}, {temperature: 1, topK: 0,
    topP: 1, minP: 0})) {
    return [...out.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
  }
  return [];
}
