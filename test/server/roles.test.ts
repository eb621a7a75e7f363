import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { ClientError } from 'graphql-request';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/common/global-id.js';
import { roles, type RoleName } from '../../src/modules/auth/viewer.js';
import { buildLabSchema } from '../../src/server/schema.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';
import { useTestLab, wsClient, type TestProject } from '../helpers/lab.js';

/** The role matrix: what each root field needs. Every field of the schema must be listed by its operation type's rule. */
const NEEDS: Record<'query' | 'mutation' | 'subscription', { default: RoleName; except: Record<string, RoleName> }> = {
  query: { default: 'VIEWER', except: { apiKeys: 'ADMIN', auditEvents: 'ADMIN' } },
  mutation: { default: 'RESEARCHER', except: { createApiKey: 'ADMIN', revokeApiKey: 'ADMIN' } },
  subscription: { default: 'VIEWER', except: {} },
};

const NOTHING = '00000000-0000-4000-8000-000000000000';

/** A value of the type that passes GraphQL's own checks (names nothing that exists). */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => [f.name, sample(f.type)]),
    );
  }
  switch (getNamedType(type).name) {
    case 'ID':
      return toGlobalId('Experiment', NOTHING);
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'JSON':
      return {};
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'x';
  }
}

/** The operation that calls one root field with sampled arguments, asking only for __typename. */
function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>) {
  const args = field.args.filter((a) => isNonNullType(a.type));
  const named = getNamedType(getNullableType(field.type));
  const selection = isObjectType(named) || isAbstractType(named) ? ' { __typename }' : '';
  const variables = Object.fromEntries(args.map((a) => [a.name, sample(a.type)]));
  const definitions = args.length ? `(${args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ')})` : '';
  const callArgs = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  return { query: `${kind} Check${definitions} { ${field.name}${callArgs}${selection} }`, variables };
}

function rootFields(schema: GraphQLSchema) {
  const types = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() } as const;
  return (Object.keys(types) as (keyof typeof types)[]).flatMap((kind) =>
    Object.values(types[kind]?.getFields() ?? {}).map((field) => ({ kind, field, needs: NEEDS[kind].except[field.name] ?? NEEDS[kind].default })),
  );
}

const atLeast = (role: RoleName, needed: RoleName) => roles.indexOf(role) >= roles.indexOf(needed);

describe('the role matrix: every root field, by every role', () => {
  const t = useTestLab('ADMIN');
  let schema: GraphQLSchema;
  const clients = {} as Record<RoleName, TestProject['client']>;
  const keys = {} as Record<RoleName, string>;

  beforeAll(async () => {
    schema = await buildLabSchema(createLabPubSub(undefined, pino({ level: 'silent' })).pubsub);
    for (const role of roles) {
      const { key, client } = await t.project.keyWithRole(role);
      keys[role] = key;
      clients[role] = client;
    }
  });

  it('lists every root field of the schema (a new one is checked without editing this test)', () => {
    const fields = rootFields(schema);
    expect(fields.filter((f) => f.kind === 'mutation').length).toBeGreaterThanOrEqual(13);
    expect(fields.map((f) => `${f.kind}.${f.field.name}`)).toEqual(expect.arrayContaining(['mutation.createExperiment', 'query.apiKeys', 'subscription.experimentUpdated']));
  });

  it('over HTTP: FORBIDDEN naming the role needed below it, never FORBIDDEN at or above it', async () => {
    const seen: string[] = [];
    for (const { kind, field, needs } of rootFields(schema).filter((f) => f.kind !== 'subscription')) {
      const { query, variables } = operationFor(kind, field);
      for (const role of roles) {
        const code = await clients[role].request(query, variables).then(
          () => 'OK',
          (err: unknown) => {
            if (!(err instanceof ClientError)) throw err;
            const first = err.response.errors?.[0];
            if (first?.extensions?.code === 'FORBIDDEN') expect(first.message).toContain(`${field.name} needs the ${needs} role; this API key has ${role}.`);
            return String(first?.extensions?.code);
          },
        );
        seen.push(`${field.name} ${role} ${code === 'FORBIDDEN' ? 'FORBIDDEN' : 'allowed'}`);
      }
    }
    const expected = rootFields(schema)
      .filter((f) => f.kind !== 'subscription')
      .flatMap(({ field, needs }) => roles.map((role) => `${field.name} ${role} ${atLeast(role, needs) ? 'allowed' : 'FORBIDDEN'}`));
    expect(seen).toEqual(expected);
  });

  it('over WebSocket: the same answers, mutations and subscriptions included', async () => {
    const seen: string[] = [];
    for (const role of roles) {
      const client = wsClient(t.lab.wsUrl, keys[role]);
      try {
        for (const { kind, field } of rootFields(schema)) {
          const { query, variables } = operationFor(kind, field);
          const iterator = client.iterate({ query, variables });
          const code = await iterator.next().then(
            (result) => String((result.value as { errors?: { extensions?: { code?: string } }[] } | undefined)?.errors?.[0]?.extensions?.code ?? 'OK'),
            (errors: { extensions?: { code?: string } }[]) => String(errors[0]?.extensions?.code),
          );
          await iterator.return?.();
          seen.push(`${field.name} ${role} ${code === 'FORBIDDEN' ? 'FORBIDDEN' : 'allowed'}`);
        }
      } finally {
        await client.dispose();
      }
    }
    const expected = roles.flatMap((role) => rootFields(schema).map(({ field, needs }) => `${field.name} ${role} ${atLeast(role, needs) ? 'allowed' : 'FORBIDDEN'}`));
    expect(seen).toEqual(expected);
  });

  it('leaves nothing behind when a VIEWER is refused', async () => {
    const before = await t.lab.database.sql`select count(*)::int as n from experiments where project_id = ${t.project.projectId}`;
    await clients.VIEWER.request('mutation { createExperiment(input: { name: "refused" }) { id } }').catch(() => null);
    const after = await t.lab.database.sql`select count(*)::int as n from experiments where project_id = ${t.project.projectId}`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
