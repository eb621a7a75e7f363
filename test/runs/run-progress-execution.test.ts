/**
 * The fan-out writes a live event's result in the publisher's call only when executing it makes no
 * promise (src/server/shared-execution.ts): runProgress, with the fields an event carries, must
 * execute synchronously, or every delivery falls back to a promise per subscriber. (The console also
 * asks for each task's model and prompt version, read through loaders: its subscribers take the
 * promise path, still with one execution per event for all of them.)
 */
import { execute, parse, type ExecutionResult } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildLabSchema } from '../../src/server/schema.js';
import { operationKey } from '../../src/server/shared-execution.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';
import type { RunEventJson } from '../../src/modules/runs/tasks.repo.js';

const RUN = '00000000-0000-4000-8000-000000000001';
const progress = { total: 2, queued: 0, running: 1, succeeded: 1, failed: 0, cancelled: 0 };
const taskEvent: RunEventJson = {
  run_id: RUN,
  sequence: 2,
  task: { id: RUN, project_id: RUN, run_id: RUN, seq: 1, row_index: 0, repetition: 0, status: 'SUCCEEDED', attempts: 1, started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:01Z', latency_ms: 5, output: 'four' },
  status: null,
  error: null,
  progress,
};
const statusEvent: RunEventJson = { run_id: RUN, sequence: 3, task: null, status: 'SUCCEEDED', error: null, progress };

describe('runProgress executes an event without a promise', () => {
  it.each([
    [
      'llm-lab run watch',
      'subscription($runId: ID!) { runProgress(runId: $runId) { __typename ... on RunStatusChanged { sequence status error progress { total queued running succeeded failed cancelled fraction etaSeconds } } ... on TaskUpdated { sequence progress { total queued running succeeded failed cancelled fraction etaSeconds } task { id usage { costUsd } } } } }',
    ],
    [
      'bench/fanout',
      'subscription($runId: ID!) { runProgress(runId: $runId) { __typename ... on TaskUpdated { sequence task { id status output startedAt finishedAt latencyMs } progress { total succeeded fraction } } ... on RunStatusChanged { sequence status error progress { total fraction } } } }',
    ],
  ])('with the selection of %s', async (_who, query) => {
    const schema = await buildLabSchema(createLabPubSub(undefined, pino({ level: 'silent' })).pubsub);
    const document = parse(query);
    for (const event of [taskEvent, statusEvent]) {
      const result = execute({ schema, document, rootValue: event, variableValues: { runId: 'UnVuOjE' }, contextValue: {} });
      expect(result).not.toBeInstanceOf(Promise);
      expect((result as ExecutionResult).errors).toBeUndefined();
    }
    const task = execute({ schema, document, rootValue: taskEvent, variableValues: { runId: 'UnVuOjE' }, contextValue: {} }) as ExecutionResult;
    expect(task.data).toMatchObject({ runProgress: { __typename: 'TaskUpdated', sequence: 2, task: { id: expect.any(String) }, progress: { total: 2, succeeded: 1 } } });
  });
});

describe('the run streams\' arguments choose the stream only', () => {
  it('marks runProgress and metricPoints, so viewers resuming from different sequences share each event\'s execution', async () => {
    const schema = await buildLabSchema(createLabPubSub(undefined, pino({ level: 'silent' })).pubsub);
    const fields = schema.getSubscriptionType()!.getFields();
    expect(fields.runProgress!.extensions.eventIgnoresArgs).toBe(true);
    expect(fields.metricPoints!.extensions.eventIgnoresArgs).toBe(true);
    expect(fields.experimentUpdated!.extensions.eventIgnoresArgs).toBeUndefined();
    const query = 'subscription RunEvents($runId: ID!, $afterSequence: Int) { runProgress(runId: $runId, afterSequence: $afterSequence) { __typename } }';
    const document = parse(query);
    const key = (afterSequence: number) => operationKey(schema, query, document, 'RunEvents', { runId: 'UnVuOjE', afterSequence }, ['project', 'VIEWER']);
    expect(key(0)).toBe(key(42));
  });
});
