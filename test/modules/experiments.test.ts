import { describe, expect, it } from 'vitest';
import { graphqlError, useTestLab } from '../helpers/lab.js';
import type { ListExperimentsQueryVariables } from '../gql/graphql.js';
import { ArchiveExperiment, CreateExperiment, ListExperiments, UpdateExperiment } from '../helpers/operations.js';

const t = useTestLab('RESEARCHER');

describe('experiments', () => {
  it('creates with trimmed fields and unique tags, and updates only the fields given', async () => {
    const { createExperiment: created } = await t.project.client.request(CreateExperiment, {
      input: { name: '  Prompt length  ', description: 'Does length matter?', hypothesis: 'Shorter is better', tags: ['a', 'b', 'a'] },
    });
    expect(created).toMatchObject({ name: 'Prompt length', tags: ['a', 'b'], archived: false, hypothesis: 'Shorter is better' });
    const { updateExperiment: updated } = await t.project.client.request(UpdateExperiment, { id: created.id, input: { tags: ['c'] } });
    expect(updated).toMatchObject({ name: 'Prompt length', description: 'Does length matter?', tags: ['c'] });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
  });

  it('searches name and description, filters by every tag, and hides archived ones unless asked', async () => {
    const own = await t.lab.newProject('RESEARCHER');
    const make = async (name: string, tags: string[], description?: string) =>
      (await own.client.request(CreateExperiment, { input: { name, tags, description } })).createExperiment.id;
    await make('alpha 100%', ['x', 'y']);
    await make('beta', ['x'], 'about ALPHA too');
    const gamma = await make('gamma', ['y']);
    await own.client.request(ArchiveExperiment, { id: gamma });

    const names = async (vars: ListExperimentsQueryVariables) =>
      (await own.client.request(ListExperiments, vars)).experiments.nodes.map((n) => n.name).sort();
    expect(await names({ search: 'alpha' })).toEqual(['alpha 100%', 'beta']);
    expect(await names({ search: '100%' })).toEqual(['alpha 100%']);
    expect(await names({ search: '_' })).toEqual([]);
    expect(await names({ tags: ['x', 'y'] })).toEqual(['alpha 100%']);
    expect(await names({ tags: ['y'] })).toEqual(['alpha 100%']);
    expect(await names({ tags: ['y'], includeArchived: true })).toEqual(['alpha 100%', 'gamma']);
    expect((await own.client.request(ListExperiments, { includeArchived: true })).experiments.totalCount).toBe(3);
  });

  it('pages: two pages cover every item once, newest first, with consistent pageInfo', async () => {
    const own = await t.lab.newProject('RESEARCHER');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await own.client.request(CreateExperiment, { input: { name: `e${i}` } })).createExperiment.id);

    const first = (await own.client.request(ListExperiments, { first: 4 })).experiments;
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.totalCount).toBe(7);
    expect(first.edges.map((e) => e.node.id)).toEqual(first.nodes.map((n) => n.id));
    expect(first.pageInfo.endCursor).toBe(first.edges[3]!.cursor);

    const second = (await own.client.request(ListExperiments, { first: 4, after: first.pageInfo.endCursor })).experiments;
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const seen = [...first.nodes, ...second.nodes].map((n) => n.id);
    expect(seen).toEqual([...ids].reverse());
  });

  it('refuses first above 100 and below 1 with BAD_USER_INPUT naming the argument', async () => {
    for (const first of [101, 0, -1]) {
      const error = await graphqlError(t.project.client.request(ListExperiments, { first }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^first: must be between 1 and 100/);
    }
    await expect(t.project.client.request(ListExperiments, { first: 100 })).resolves.toBeDefined();
  });

  it('refuses a cursor it did not make', async () => {
    for (const after of ['garbage', Buffer.from('["x"]').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      const error = await graphqlError(t.project.client.request(ListExperiments, { after }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain('after:');
    }
  });

  it('refuses an empty or blank name with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const own = await t.lab.newProject('RESEARCHER');
    for (const name of ['', '   ']) {
      const error = await graphqlError(own.client.request(CreateExperiment, { input: { name } }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain('name must not be empty');
      expect(error.extensions.field).toBe('name');
    }
    const tooLong = await graphqlError(own.client.request(CreateExperiment, { input: { name: 'x'.repeat(201) } }));
    expect(tooLong.message).toContain('at most 200 characters');
    const blankTag = await graphqlError(own.client.request(CreateExperiment, { input: { name: 'ok', tags: [' '] } }));
    expect(blankTag.message).toContain('empty tags');
    expect((await own.client.request(ListExperiments, {})).experiments.totalCount).toBe(0);
  });

  it('refuses a malformed id with BAD_USER_INPUT and an id of another type as well', async () => {
    const error = await graphqlError(t.project.client.request(UpdateExperiment, { id: 'nonsense', input: { name: 'x' } }));
    expect(error.code).toBe('BAD_USER_INPUT');
    const { viewer } = await t.project.client.request((await import('../helpers/operations.js')).ViewerQuery);
    const wrongType = await graphqlError(t.project.client.request(ArchiveExperiment, { id: viewer.project.id }));
    expect(wrongType.code).toBe('BAD_USER_INPUT');
    expect(wrongType.message).toContain('is not an Experiment ID; pass the id field of an Experiment.');
  });
});
