import { randomBytes } from 'node:crypto';
import { PostgresMetricStore } from '../../src/modules/metrics/metrics.postgres.js';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { Authorized, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeLab, type Lab, type LabParts } from '../../src/app/lab.js';
import { defineModule } from '../../src/app/module.js';
import { modules } from '../../src/app/modules.js';
import { DomainError } from '../../src/common/errors.js';
import { SecretBox } from '../../src/common/secret-box.js';
import { createdAtKeyset } from '../../src/modules/common/connection.js';
import { LocalBlobStore } from '../../src/storage/blobs/index.js';
import { connectDatabase, type Database } from '../../src/storage/postgres.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';
import { configSchema } from '../../src/config.js';
import { executionSettings } from '../../src/modules/execution/settings.js';
import { createLabServer } from '../../src/server/app.js';
import type { Context } from '../../src/server/context.js';
import { httpClient } from '../helpers/lab.js';

let database: Database;
let parts: LabParts;

beforeAll(() => {
  database = connectDatabase(inject('databaseUrl'), { poolSize: 3 });
  const logger = pino({ level: 'silent' });
  parts = {
    database,
    pubsub: createLabPubSub(undefined, logger).pubsub,
    secrets: new SecretBox(randomBytes(32)),
    blobs: new LocalBlobStore({ root: '/tmp/lab-composition-test', publicBaseUrl: 'http://127.0.0.1:1', signingSecret: randomBytes(32) }),
    uploads: { maxUploadBytes: 1024 ** 2, maxRowBytes: 1024, multipartThresholdBytes: 5 * 1024 ** 2, partSizeBytes: 5 * 1024 ** 2 },
    execution: executionSettings(configSchema.shape.worker.parse({})),
    redis: null,
    metrics: { store: new PostgresMetricStore(database.db) },
    logger,
  };
});
afterAll(() => database.close());

/** Resolves to the error a call threw; fails when it did not throw. */
const thrown = (call: Promise<unknown>) => call.then(() => expect.unreachable('the call succeeded'), (err: unknown) => err);

describe('services without GraphQL', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = composeLab(parts);
  });

  it('are called as a worker or the CLI calls them, with row ids, returning rows', async () => {
    const project = await lab.services.projects.create(`worker-side-${randomBytes(3).toString('hex')}`);
    const experiment = await lab.services.experiments.create(project.id, { name: '  from a worker ', tags: ['a', 'a', 'b'] });
    expect(experiment).toMatchObject({ projectId: project.id, name: 'from a worker', tags: ['a', 'b'] });
    const prompt = await lab.services.prompts.create(project.id, { name: 'p', template: 'Hi {{name}}' });
    const version = await lab.services.prompts.createVersion(project.id, prompt.id, { template: '{{greeting}} {{name}}' });
    expect(version).toMatchObject({ promptId: prompt.id, version: 2, variables: ['greeting', 'name'] });
    const listed = await lab.services.experiments.list(project.id, { includeArchived: false }, createdAtKeyset(null), 10);
    expect(listed.map((e) => e.id)).toEqual([experiment.id]);
  });

  it('refuse with a plain DomainError carrying the code and the field, not a GraphQL error', async () => {
    const project = await lab.services.projects.create(`worker-side-${randomBytes(3).toString('hex')}`);
    const missing = await thrown(lab.services.experiments.archive(project.id, '00000000-0000-4000-8000-000000000000'));
    expect(missing).toBeInstanceOf(DomainError);
    expect(missing).not.toBeInstanceOf(GraphQLError);
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await thrown(lab.services.models.create(project.id, { name: 'm', provider: 'OPENAI_COMPATIBLE', modelName: 'x' }));
    expect(bad).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'baseUrl' } });
    const noDataset = await thrown(lab.services.datasets.createUpload(project.id, '00000000-0000-4000-8000-000000000000', { format: 'JSONL', sizeBytes: 10 }));
    expect(noDataset).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the composition root', () => {
  it('refuses two modules that define the same loader, naming both', () => {
    const twin = defineModule({
      name: 'twin',
      resolvers: [],
      build: () => ({ service: null, loaders: () => ({ experimentById: null }) }),
    });
    expect(() => composeLab(parts, [...modules, twin])).toThrow('the loader "experimentById" is defined by both the experiments and the twin modules');
  });

  it('takes a new module from one line in the list: its resolvers, service, loaders and node types', async () => {
    @ObjectType('Ping')
    class Ping {
      @Field(() => String)
      answer!: string;
    }
    @Resolver(() => Ping)
    class PingResolver {
      @Authorized('VIEWER')
      @Query(() => Ping)
      ping(@Ctx() ctx: Context): Ping {
        const service = (ctx.services as unknown as Record<string, { answer(): string }>).ping!;
        return Object.assign(new Ping(), { answer: service.answer() });
      }
    }
    const pingModule = defineModule({
      name: 'ping',
      resolvers: [PingResolver],
      build: () => ({ service: { answer: () => 'pong' } }),
    });
    const lab = composeLab(parts, [...modules, pingModule]);
    const server = await createLabServer(lab, { production: false });
    const url = await server.listen(0, '127.0.0.1');
    try {
      const project = await lab.services.projects.create(`ping-${randomBytes(3).toString('hex')}`);
      const { secret } = await lab.services.auth.createKey(project.id, 'ping', 'VIEWER');
      expect(await httpClient(`${url}/graphql`, secret).request<{ ping: Ping }>('{ ping { answer } }')).toEqual({ ping: { answer: 'pong' } });
    } finally {
      await server.stop();
    }
  });
});
