import http from 'node:http';
import https from 'node:https';
import { failingClient, httpStatusError, malformedResponse, ProviderError, rethrowProviderFailure } from './errors.js';
import { bodyTemplate, readCompletion } from './openai.js';
import type { ChatRequest, ChatResult, ProviderClient, ProviderModel } from './types.js';

/**
 * OPENAI_COMPATIBLE servers (vLLM, Ollama, llama.cpp) are where one worker makes thousands of calls a
 * second, so their chat completions go over node:http with keep-alive: the openai SDK over fetch
 * costs about 2.5x the worker's CPU per task (bench/executor). OPENAI keeps the official SDK.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxFreeSockets: 1024 }),
  'https:': new https.Agent({ keepAlive: true, maxFreeSockets: 1024 }),
};

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Answer> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: agents[url.protocol as 'http:' | 'https:'], signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export function createOpenAiHttpClient(model: ProviderModel): ProviderClient {
  if (!model.baseUrl) {
    return failingClient(new ProviderError(`model ${model.id}: OPENAI_COMPATIBLE models need a baseUrl, e.g. http://localhost:8000/v1`, { retryable: false }));
  }
  const url = new URL(`${model.baseUrl.replace(/\/+$/, '')}/chat/completions`);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (model.apiKey) headers.authorization = `Bearer ${model.apiKey}`;
  const template = bodyTemplate(model);

  return {
    async complete({ system, prompt, signal }: ChatRequest): Promise<ChatResult> {
      const messages = system === null ? [{ role: 'user', content: prompt }] : [{ role: 'system', content: system }, { role: 'user', content: prompt }];
      let answer: Answer;
      try {
        answer = await post(url, headers, JSON.stringify({ ...template, messages }), signal);
      } catch (err) {
        rethrowProviderFailure(err, model.apiKey, signal);
      }
      if (answer.status >= 400) throw httpStatusError(answer.status, answer.headers, answer.body, model.apiKey);
      let completion: unknown;
      try {
        completion = JSON.parse(answer.body);
      } catch {
        throw malformedResponse('the body is not JSON');
      }
      return readCompletion(completion);
    },
  };
}
