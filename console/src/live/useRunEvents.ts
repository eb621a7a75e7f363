import { useEffect, useRef, useState } from 'react';
import { stringifyDocument } from 'urql';
import type { ShownError } from '../components/ErrorNotice';
import { graphql } from '../gql';
import type { ProgressFieldsFragment, RunEventsSubscription, RunStatus } from '../gql/graphql';
import { useSession } from '../session';

const RunEventsDocument = graphql(`
  subscription RunEvents($runId: ID!, $afterSequence: Int) {
    runProgress(runId: $runId, afterSequence: $afterSequence) {
      __typename
      ... on TaskUpdated {
        sequence
        progress {
          ...ProgressFields
        }
        task {
          id
          status
          rowIndex
          repetition
          attempts
          latencyMs
          error
          model {
            id
            name
          }
          promptVersion {
            id
            version
            prompt {
              name
            }
          }
          usage {
            promptTokens
            completionTokens
            costUsd
          }
        }
      }
      ... on RunStatusChanged {
        sequence
        status
        error
        progress {
          ...ProgressFields
        }
      }
    }
  }

  fragment ProgressFields on RunProgress {
    total
    queued
    running
    succeeded
    failed
    cancelled
    fraction
    etaSeconds
  }
`);

type Event = RunEventsSubscription['runProgress'];
export type LiveTask = Extract<Event, { __typename: 'TaskUpdated' }>['task'];

export interface RunStream {
  status: RunStatus | null;
  error: string | null;
  progress: ProgressFieldsFragment | null;
  /** Every task seen so far, by id. */
  tasks: Map<string, LiveTask>;
  lastSequence: number;
  /** Whether the socket is up; false while it reconnects. */
  connected: boolean;
  /** The stream's own failure (not the run's), e.g. a refused subscription. */
  streamError: ShownError | null;
}

/**
 * The run's events from sequence 1, applied in order; after a dropped connection it subscribes
 * again from the last sequence it applied, so nothing is missed or applied twice. Renders at most
 * once a frame however fast events come.
 */
export function useRunEvents(runId: string): RunStream {
  const { ws } = useSession();
  const state = useRef<RunStream>(emptyStream());
  const [, setFrame] = useState(0);

  useEffect(() => {
    state.current = emptyStream();
    let frame = 0;
    const render = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setFrame((n) => n + 1)));
    };
    const query = stringifyDocument(RunEventsDocument);
    let unsubscribe = () => {};
    let ended = false;
    const subscribe = () => {
      unsubscribe();
      unsubscribe = ws.subscribe<RunEventsSubscription>(
        { query, variables: { runId, afterSequence: state.current.lastSequence } },
        {
          next: (result) => {
            if (result.errors?.length) state.current.streamError = describeStreamError(result.errors);
            const event = result.data?.runProgress;
            state.current.connected = true;
            if (event) apply(state.current, event);
            render();
          },
          error: (err) => {
            state.current.streamError = describeStreamError(err);
            render();
          },
          complete: () => {
            ended = true;
          },
        },
      );
    };
    let dropped = false;
    const offConnected = ws.on('connected', () => {
      state.current.connected = true;
      // graphql-ws would resend the first payload after a drop; ask from the last applied sequence instead.
      if (dropped && !ended) subscribe();
      dropped = false;
      render();
    });
    const offClosed = ws.on('closed', () => {
      dropped = true;
      state.current.connected = false;
      render();
    });
    subscribe();
    return () => {
      offConnected();
      offClosed();
      unsubscribe();
      cancelAnimationFrame(frame);
    };
  }, [ws, runId]);

  return state.current;
}

/** graphql-ws fails a stream with the operation's GraphQL errors, or with the CloseEvent that ended its retries. */
function describeStreamError(err: unknown): ShownError {
  if (Array.isArray(err) && err.length > 0) {
    const first = err[0] as { message: string; extensions?: { code?: string; requestId?: string } };
    return { message: first.message, code: first.extensions?.code, requestId: first.extensions?.requestId };
  }
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string' && reason) return { message: `The live connection closed: ${reason}` };
  return { message: err instanceof Error ? err.message : 'The live connection failed.' };
}

function emptyStream(): RunStream {
  return { status: null, error: null, progress: null, tasks: new Map(), lastSequence: 0, connected: false, streamError: null };
}

function apply(stream: RunStream, event: Event): void {
  // Events are numbered gap-free per run: one at or below what we hold was already applied.
  if (event.sequence <= stream.lastSequence) return;
  stream.lastSequence = event.sequence;
  stream.progress = event.progress;
  if (event.__typename === 'TaskUpdated') {
    stream.tasks.set(event.task.id, event.task);
  } else {
    stream.status = event.status;
    stream.error = event.error ?? null;
  }
}
