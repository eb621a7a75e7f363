import {
  execute,
  getNamedType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildLabSchema } from '../../src/server/schema.js';
import { contextFactory } from '../../src/server/context.js';
import { useTestLab } from '../helpers/lab.js';
import { StartRun } from '../helpers/operations.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';

/**
 * The lab compiles operations with graphql-jit's `disableLeafSerialization` (src/server/compiled-execution.ts):
 * built-in scalars and enums are written as resolvers return them, without graphql-js's serialize().
 * These tests hold that to be invisible: enum values are their names, and a query of every leaf field
 * reachable from the root lists answers byte for byte as graphql-js's own execution does.
 */

/** Fields whose value is signed with the current time (presigned URLs), left out of the comparison. */
const TIME_SIGNED = new Set(['downloadUrl']);

/** A selection of every field of `type` down to `depth` levels that takes no required argument; lists ask for 2. */
function everyField(type: GraphQLNamedType, depth: number, seen: readonly string[] = []): string {
  if (isLeafType(type)) return '';
  if (isUnionType(type) || isInterfaceType(type)) {
    const possible = isUnionType(type) ? type.getTypes() : [];
    return `{ __typename ${possible.map((t) => `... on ${t.name} ${everyField(t, depth, seen)}`).join(' ')} }`;
  }
  if (!isObjectType(type)) return '';
  const fields = Object.values(type.getFields()).flatMap((field: GraphQLField<unknown, unknown>) => {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) return [];
    // Presigned URLs carry the second they were signed: two executions differ by design.
    if (TIME_SIGNED.has(field.name)) return [];
    const named = getNamedType(field.type);
    const args = field.args.some((arg) => arg.name === 'first') ? '(first: 2)' : '';
    if (isLeafType(named)) return [`${field.name}${args}`];
    // Each object type once per path, and not past the depth: the query stays within the lab's limits.
    if (depth === 0 || seen.includes(named.name)) return [];
    const selection = everyField(named, depth - 1, [...seen, type.name]);
    return selection ? [`${field.name}${args} ${selection}`] : [];
  });
  return `{ __typename ${fields.join(' ')} }`;
}

describe('leaf values are written as graphql-js would serialise them', () => {
  const t = useTestLab('ADMIN', { worker: true });

  it('every enum value of the schema is its own name', async () => {
    const schema = await buildLabSchema(t.lab.core.parts.pubsub, t.lab.core.resolvers);
    const enums = Object.values(schema.getTypeMap()).filter((type) => isEnumType(type) && !type.name.startsWith('__'));
    expect(enums.length).toBeGreaterThan(5);
    for (const type of enums) {
      if (!isEnumType(type)) continue;
      for (const value of type.getValues()) expect(value.value, `${type.name}.${value.name}`).toBe(value.name);
    }
  });

  it('a query of every field reachable from the root lists answers as graphql-js executes it', async () => {
    const { client, key } = t.project;
    const config = await runConfig(client, questionRows(3), [{ provider: 'ECHO' }, { provider: 'ECHO' }]);
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }, { kind: 'TOKEN_F1' }] },
    });
    await waitForRun(client, startRun.id);

    const schema: GraphQLSchema = await buildLabSchema(t.lab.core.parts.pubsub, t.lab.core.resolvers);
    const roots = ['viewer', 'experiments', 'models', 'prompts', 'datasets', 'apiKeys', 'auditEvents'];
    const queryType = schema.getQueryType()!;
    const query = `{ ${roots.map((name) => {
      const field = queryType.getFields()[name]!;
      const args = field.args.some((arg) => arg.name === 'first') ? '(first: 2)' : '';
      return `${name}${args} ${everyField(getNamedType(field.type), 3)}`;
    }).join(' ')} }`;
    // Not a trivial query: it reaches runs, their progress and usage, metrics, models, prompt versions and tasks.
    for (const field of ['latestRun', 'progress', 'usage', 'metrics', 'promptVersions', 'tasks', 'versions']) expect(query).toContain(` ${field}`);

    const viaLab = async () => {
      const res = await fetch(t.lab.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
      const answer = (await res.json()) as { data?: unknown; errors?: unknown[] };
      expect(answer.errors).toBeUndefined();
      return JSON.stringify(answer.data);
    };
    const viewer = await t.lab.services.auth.authenticate(`Bearer ${key}`);
    const viaGraphqlJs = async () => {
      const answer = await execute({ schema, document: parse(query), contextValue: contextFactory(t.lab.core)(viewer, 'reference') });
      expect(answer.errors).toBeUndefined();
      return JSON.stringify(answer.data);
    };
    // The worker may still write after the run ended (its results file, late metric points): compare
    // graphql-js's answer with the lab's when the lab answered the same just before and just after it.
    let lab = '';
    let reference = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await viaLab();
      reference = await viaGraphqlJs();
      lab = await viaLab();
      if (before === lab) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(JSON.parse(lab)).toEqual(JSON.parse(reference));
    expect(lab).toBe(reference);
    // And the data is there: a run with its tasks, not empty lists compared with empty lists.
    expect(lab).toContain('"SUCCEEDED"');
  });
});
