import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countWords } from '../../src/providers/parameters.js';

export type Fault =
  | { status: 429; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 | 401 | 400 | 403 | 404; message?: string }
  | { kind: 'timeout' }
  | { kind: 'malformed' };

export interface FakeLlmOptions {
  latencyMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  reply?: (prompt: string, model: string) => string;
  /** `call` counts from 1 over every request since start (or reset); null answers normally. */
  fault?: (call: number, prompt: string) => Fault | null;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeLlmServer {
  /** Base URL for the OpenAI SDK, ending in /v1; the Anthropic SDK wants `origin`. */
  url: string;
  origin: string;
  calls(): number;
  inFlight(): number;
  maxInFlight(): number;
  /** User prompts received, in order, faulted calls included. */
  prompts(): string[];
  /** The last request, parsed: what a test checks the request mapping against. */
  lastRequest(): ReceivedRequest | null;
  set(options: Partial<FakeLlmOptions>): void;
  /** Zeroes the counters (calls, max in flight, prompts); options stay. */
  reset(): void;
  close(): Promise<void>;
}

type Api = 'openai' | 'anthropic';

/** Messages as the two APIs carry them: a string, or an array of blocks with text. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content as { text?: unknown }[]) if (part && typeof part.text === 'string') text += part.text;
  return text;
}

function readPrompt(body: Record<string, unknown>, api: Api): { system: string; prompt: string } {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  let system = api === 'anthropic' ? textOf(body.system) : '';
  let prompt = '';
  for (const message of messages) {
    if (message?.role === 'user') prompt = textOf(message.content);
    else if (message?.role === 'system' || message?.role === 'developer') system += textOf(message.content);
  }
  return { system, prompt };
}

const OPENAI_ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request: the request body is not valid.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided: sk-...xyz.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'You are not allowed to sample from this model.', type: 'invalid_request_error', code: 'model_not_allowed' },
  404: { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
  429: { message: 'Rate limit reached for requests per min. Please try again later.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

const ANTHROPIC_ERRORS: Record<number, { message: string; type: string }> = {
  400: { message: 'Invalid request: the request body is not valid.', type: 'invalid_request_error' },
  401: { message: 'invalid x-api-key', type: 'authentication_error' },
  403: { message: 'Your API key does not have permission to use the specified resource.', type: 'permission_error' },
  404: { message: 'The requested resource could not be found.', type: 'not_found_error' },
  429: { message: 'Number of request tokens has exceeded your per-minute rate limit.', type: 'rate_limit_error' },
  500: { message: 'An unexpected error has occurred internal to the API.', type: 'api_error' },
  502: { message: 'Bad gateway.', type: 'api_error' },
  503: { message: 'Overloaded.', type: 'overloaded_error' },
};

function errorBody(api: Api, status: number, message: string | undefined): string {
  if (api === 'anthropic') {
    const known = ANTHROPIC_ERRORS[status] ?? { message: `status ${status}`, type: 'api_error' };
    return JSON.stringify({ type: 'error', error: { type: known.type, message: message ?? known.message } });
  }
  const known = OPENAI_ERRORS[status] ?? { message: `status ${status}`, type: 'server_error', code: null };
  return JSON.stringify({ error: { message: message ?? known.message, type: known.type, param: null, code: known.code } });
}

/** OpenAI and Anthropic APIs on 127.0.0.1 for tests and benchmarks: real HTTP, keep-alive, little work per request, faults on demand. */
export async function startFakeLlmServer(options: FakeLlmOptions = {}, port = 0): Promise<FakeLlmServer> {
  let current: FakeLlmOptions = { ...options };
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let prompts: string[] = [];
  let last: ReceivedRequest | null = null;

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    const answer = () => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const latency = current.latencyMs ?? 0;
    if (latency > 0) setTimeout(answer, latency);
    else answer();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const call = ++calls;
    const path = req.url ?? '';
    const api: Api | null =
      req.method === 'POST' && path.startsWith('/v1/chat/completions') ? 'openai' : req.method === 'POST' && path.startsWith('/v1/messages') ? 'anthropic' : null;
    if (!api) {
      send(res, 404, errorBody('openai', 404, `no route ${req.method} ${path}: this fake serves POST /v1/chat/completions and POST /v1/messages`));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      send(res, 400, errorBody(api, 400, 'the request body is not JSON'));
      return;
    }
    const { system, prompt } = readPrompt(body, api);
    prompts.push(prompt);
    last = { path, headers: req.headers, body };

    const fault = current.fault?.(call, prompt) ?? null;
    if (fault) {
      if ('kind' in fault) {
        // timeout: no answer at all; the request ends when the client gives up and disconnects.
        if (fault.kind === 'malformed') send(res, 200, '{"id":"broken","choices":[{"message":{"content":');
        return;
      }
      const headers: Record<string, string> = {};
      if (fault.status === 429 && fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      send(res, fault.status, errorBody(api, fault.status, 'message' in fault ? fault.message : undefined), headers);
      return;
    }

    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    const output = current.reply ? current.reply(prompt, model) : prompt;
    const promptTokens = current.promptTokens ?? countWords(system) + countWords(prompt);
    const completionTokens = current.completionTokens ?? countWords(output);
    const answer =
      api === 'openai'
        ? {
            id: `chatcmpl-fake-${call}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: output, refusal: null }, logprobs: null, finish_reason: 'stop' }],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          }
        : {
            id: `msg_fake_${call}`,
            type: 'message',
            role: 'assistant',
            model,
            content: [{ type: 'text', text: output }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: promptTokens, output_tokens: completionTokens },
          };
    send(res, 200, JSON.stringify(answer));
  };

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    // 'close' comes once per response, answered or abandoned by the client: the in-flight count always comes back down.
    res.once('close', () => inFlight--);
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => handle(req, res, raw));
  });
  // Longer than any client's idle pooling, so the server is never the one to drop a kept-alive connection mid-reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/v1`,
    origin,
    calls: () => calls,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    prompts: () => [...prompts],
    lastRequest: () => last,
    set(options) {
      current = { ...current, ...options };
    },
    reset() {
      calls = 0;
      maxInFlight = inFlight;
      prompts = [];
      last = null;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Kept-alive and 'timeout' connections would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}
