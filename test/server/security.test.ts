import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/server/security.js';
import { useTestLab, wsClient } from '../helpers/lab.js';
import { ExperimentsWithRuns } from '../helpers/operations.js';

const t = useTestLab('VIEWER');

interface Answer {
  data?: unknown;
  errors?: { message: string; extensions: { code: string } }[];
}

const post = async (query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: Answer }> => {
  const res = await fetch(t.lab.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.project.key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Answer };
};

/** prompt { latestVersion { prompt { latestVersion { ... } } } }, `levels` selections deep. */
function nested(levels: number): string {
  let selection = 'id';
  for (let i = 0; i < levels; i++) selection = i % 2 === 0 ? `prompt { ${selection} }` : `latestVersion { ${selection} }`;
  return `query { prompts(first: 1) { nodes { ${selection} } } }`;
}

describe('operation limits', () => {
  it(`refuses selections nested deeper than ${LIMITS.depth}`, async () => {
    expect((await post(nested(6))).body.errors).toBeUndefined();
    const { body } = await post(nested(LIMITS.depth));
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain(`exceeds maximum operation depth of ${LIMITS.depth}`);
  });

  it(`refuses more than ${LIMITS.aliases} aliases`, async () => {
    const aliases = (n: number) => `query { ${Array.from({ length: n }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    expect((await post(aliases(LIMITS.aliases))).body.errors).toBeUndefined();
    const { body } = await post(aliases(LIMITS.aliases + 1));
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(body.errors?.[0]?.message).toContain(`more than ${LIMITS.aliases} aliases`);
  });

  it('refuses an operation whose estimated cost is over the limit, counting page sizes from variables', async () => {
    const query = 'query($n: Int) { datasets(first: $n) { nodes { versions(first: $n) { nodes { preview(limit: 100) { index } } } } } }';
    expect((await post(query, { n: 3 })).body.errors).toBeUndefined();
    const { body } = await post(query, { n: 100 });
    expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/estimated cost is \d+, over the limit of 10000/);
    expect(body.data).toBeUndefined();
  });

  it('lets the heaviest page the tests use through: 100 experiments with their runs', async () => {
    const { body } = await post(print(ExperimentsWithRuns), { first: 100 });
    expect(body.errors).toBeUndefined();
  });

  it('applies the same limits over WebSocket', async () => {
    const client = wsClient(t.lab.wsUrl, t.project.key);
    try {
      const refused = (query: string, variables: Record<string, unknown> = {}) =>
        client
          .iterate({ query, variables })
          .next()
          .then(
            () => [],
            (errors: { message: string; extensions?: { code?: string } }[]) => errors,
          );
      const deep = await refused(nested(LIMITS.depth));
      expect(deep[0]?.message).toContain('maximum operation depth');
      const costly = await refused('query($n: Int) { datasets(first: $n) { nodes { versions(first: $n) { nodes { preview(limit: 100) { index } } } } } }', { n: 100 });
      expect(costly[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(costly[0]?.message).toContain('estimated cost');
    } finally {
      await client.dispose();
    }
  });
});
