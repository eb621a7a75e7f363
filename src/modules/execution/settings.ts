import type { Config } from '../../config.js';
import type { CallPolicyOptions } from '../../providers/resilience.js';
import type { ExecutorSettings } from './task-executor.js';

/** How workers run tasks: the executor's batching and leases, and the policy around each provider call. */
export interface ExecutionSettings {
  executor: ExecutorSettings;
  policy: CallPolicyOptions;
}

export function executionSettings(config: Config['worker'], overrides: { executor?: Partial<ExecutorSettings>; policy?: Partial<CallPolicyOptions> } = {}): ExecutionSettings {
  return {
    executor: {
      capacity: config.LAB_WORKER_CONCURRENCY,
      prefetch: Math.ceil(config.LAB_WORKER_CONCURRENCY / 2),
      leaseSeconds: config.LAB_TASK_LEASE_SECONDS,
      maxTaskAttempts: 10,
      flushMs: 20,
      flushSize: 200,
      stopGraceMs: config.LAB_WORKER_STOP_GRACE_SECONDS * 1000,
      ...overrides.executor,
    },
    policy: {
      timeoutMs: config.LAB_PROVIDER_TIMEOUT_MS,
      maxAttempts: config.LAB_PROVIDER_MAX_ATTEMPTS,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      breakerThreshold: 10,
      halfOpenAfterMs: 15_000,
      ...overrides.policy,
    },
  };
}
