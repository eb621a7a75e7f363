import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printLabSchema } from '../../src/server/schema.js';

describe('schema/schema.graphql', () => {
  it('is what the code emits (run `npm run schema:emit` after changing a type)', async () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(await printLabSchema()).toBe(committed);
  });
});
