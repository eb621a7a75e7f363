import type { RunStatus } from './gql/graphql';

/** A run in one of these has tasks still to end: its page streams, its lists refresh. */
export const LIVE_RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'CANCELLING'];
