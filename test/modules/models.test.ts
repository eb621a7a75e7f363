import { describe, expect, it } from 'vitest';
import { graphqlError, useTestLab } from '../helpers/lab.js';
import { CreateModel, ListModels } from '../helpers/operations.js';

const t = useTestLab('RESEARCHER');

describe('models', () => {
  it('stores the provider key encrypted, never returns it, and keeps the rest as given', async () => {
    const { createModel } = await t.project.client.request(CreateModel, {
      input: {
        name: 'gpt',
        provider: 'OPENAI',
        modelName: 'gpt-4o-mini',
        apiKey: 'sk-test-very-secret-1234',
        parameters: { temperature: 0.2, maxTokens: 64, logprobs: true },
        inputCostPerMTok: 0.15,
        outputCostPerMTok: 0.6,
        requestsPerMinute: 500,
      },
    });
    expect(createModel).toMatchObject({
      provider: 'OPENAI',
      hasApiKey: true,
      parameters: { temperature: 0.2, maxTokens: 64, logprobs: true },
      maxConcurrency: 4,
      requestsPerMinute: 500,
    });
    expect(JSON.stringify(createModel)).not.toContain('sk-test');
    const [row] = await t.lab.database.sql`select api_key_ciphertext from models where name = 'gpt' and project_id = ${t.project.projectId}`;
    expect(row!.api_key_ciphertext).toMatch(/^v1\./);
    expect(row!.api_key_ciphertext).not.toContain('sk-test');
    // What a worker reads back to call the provider; a ciphertext changed at rest is refused, not misread.
    expect(t.lab.secrets.open(row!.api_key_ciphertext)).toBe('sk-test-very-secret-1234');
    const [version, iv, tag, body] = (row!.api_key_ciphertext as string).split('.');
    const flipped = `${body!.slice(0, -2)}${body!.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(() => t.lab.secrets.open([version, iv, tag, flipped].join('.'))).toThrow();
  });

  it.each([
    [{ provider: 'OPENAI_COMPATIBLE' as const, modelName: 'llama' }, 'baseUrl: required for OPENAI_COMPATIBLE'],
    [{ provider: 'ANTHROPIC' as const, modelName: 'claude' }, 'apiKey: required for ANTHROPIC'],
    [{ provider: 'ECHO' as const, modelName: 'e', parameters: { temperature: 5 } }, 'parameters.temperature'],
    [{ provider: 'ECHO' as const, modelName: 'e', parameters: [1, 2] }, 'parameters: must be a JSON object'],
    [{ provider: 'ECHO' as const, modelName: 'e', baseUrl: 'not a url' }, 'baseUrl must be an http(s) URL'],
    [{ provider: 'ECHO' as const, modelName: 'e', maxConcurrency: 0 }, 'maxConcurrency must be at least 1'],
  ])('refuses %j with BAD_USER_INPUT saying %s', async (input, message) => {
    const error = await graphqlError(t.project.client.request(CreateModel, { input: { name: `bad-${message}`, ...input } }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
  });

  it('takes an OPENAI_COMPATIBLE server by base URL, and refuses a duplicate name with CONFLICT', async () => {
    const input = { name: 'local', provider: 'OPENAI_COMPATIBLE' as const, modelName: 'qwen', baseUrl: 'http://localhost:11434/v1' };
    expect((await t.project.client.request(CreateModel, { input })).createModel).toMatchObject({ baseUrl: input.baseUrl, hasApiKey: false });
    const error = await graphqlError(t.project.client.request(CreateModel, { input }));
    expect(error.code).toBe('CONFLICT');
    const { models } = await t.project.client.request(ListModels, { first: 100 });
    expect(models.nodes.filter((m) => m.name === 'local')).toHaveLength(1);
  });
});
