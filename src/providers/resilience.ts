import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IBackoff,
  type TimeoutPolicy,
} from 'cockatiel';
import { circuitOpen, providerRetries } from '../observability/metrics.js';
import { ProviderError } from './errors.js';
import { sleep } from './sleep.js';

export interface CallPolicyOptions {
  /** Per attempt: past it the attempt's signal aborts and the attempt counts as a retryable failure. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff (jittered), doubling per retry up to maxDelayMs; a Retry-After from the provider waits longer. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive retryable failures of one model that open its circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses calls before one trial call may go through. */
  halfOpenAfterMs: number;
}

export interface CallPolicy {
  /** Runs fn with timeouts, retries and the model's circuit breaker; fn gets the attempt's signal and must pass it to the provider. */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
}

/** The model's circuit is open: the call was not made. Put the task back and try again after retryAfterMs. */
export class CircuitOpenError extends Error {
  readonly retryAfterMs: number;

  constructor(modelId: string, retryAfterMs: number) {
    super(`model ${modelId}: calls are paused after repeated provider failures; the next trial call is allowed in ${retryAfterMs} ms`);
    this.name = 'CircuitOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Only failures worth retrying count toward the breaker: a 401 says nothing about the provider's health. */
const isRetryable = (err: unknown): err is ProviderError => err instanceof ProviderError && err.retryable;

class ModelCallPolicy implements CallPolicy {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeout: TimeoutPolicy;
  private readonly backoff: ExponentialBackoff<unknown>;
  private openedAt = 0;

  constructor(
    private readonly modelId: string,
    private readonly options: CallPolicyOptions,
  ) {
    this.breaker = circuitBreaker(handleWhen(isRetryable), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
      circuitOpen.set({ model_id: modelId }, 1);
    });
    this.breaker.onReset(() => circuitOpen.set({ model_id: modelId }, 0));
    // Aggressive: the attempt ends at the deadline even if the SDK were slow to honour its aborted signal.
    // No abort on return: the call is over by then, and each abort would build a DOMException and wake the SDK's listeners for nothing.
    this.timeout = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    this.backoff = new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs });
  }

  /** Our own retry loop, not cockatiel's RetryPolicy: its backoff wait ignores the signal, and a cancel must not wait out a Retry-After. */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw signal.reason;
    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(fn, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (!isRetryable(err) || attempt >= this.options.maxAttempts) throw err;
        providerRetries.inc({ model_id: this.modelId });
        backoff = backoff ? backoff.next(undefined) : this.backoff.next();
        await sleep(Math.max(backoff.duration, err.retryAfterMs ?? 0), signal);
      }
    }
  }

  private async attempt<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    // cockatiel queues calls behind a half-open circuit's trial call; ours go back to the queue instead.
    if (this.breaker.state === CircuitState.HalfOpen) {
      throw new CircuitOpenError(this.modelId, Math.min(this.options.timeoutMs, this.options.halfOpenAfterMs));
    }
    try {
      return await this.breaker.execute(() => this.timed(fn, signal), signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (isBrokenCircuitError(err)) {
        throw new CircuitOpenError(this.modelId, Math.max(0, this.openedAt + this.options.halfOpenAfterMs - Date.now()));
      }
      throw err;
    }
  }

  /** One attempt under the timeout, its expiry turned into a retryable ProviderError the breaker counts. */
  private async timed<T>(fn: (signal: AbortSignal) => Promise<T>, parent: AbortSignal): Promise<T> {
    try {
      return await this.timeout.execute(async ({ signal: attemptSignal }) => {
        try {
          return await fn(attemptSignal);
        } catch (err) {
          if (attemptSignal.aborted && !parent.aborted) throw this.timedOut();
          throw err;
        }
      }, parent);
    } catch (err) {
      // instanceof, not cockatiel's isTaskCancelledError: in 3.2.1 that tests for the bulkhead's flag and is always false here.
      if (err instanceof TaskCancelledError && !parent.aborted) throw this.timedOut();
      throw err;
    }
  }

  private timedOut(): ProviderError {
    return new ProviderError(`model ${this.modelId}: the provider did not answer within ${this.options.timeoutMs} ms`, { retryable: true });
  }
}

function checkOptions(options: CallPolicyOptions): void {
  const positive = (name: keyof CallPolicyOptions) => {
    if (!(Number.isFinite(options[name]) && options[name] > 0)) throw new Error(`CallPolicies: ${name} must be a positive number (got ${options[name]})`);
  };
  positive('timeoutMs');
  positive('halfOpenAfterMs');
  positive('maxDelayMs');
  for (const name of ['maxAttempts', 'breakerThreshold'] as const) {
    if (!(Number.isInteger(options[name]) && options[name] >= 1)) throw new Error(`CallPolicies: ${name} must be a whole number of at least 1 (got ${options[name]})`);
  }
  if (!(Number.isFinite(options.initialDelayMs) && options.initialDelayMs >= 0 && options.initialDelayMs <= options.maxDelayMs)) {
    throw new Error(`CallPolicies: initialDelayMs must be between 0 and maxDelayMs (got ${options.initialDelayMs})`);
  }
}

/** The call policies of a worker: one circuit breaker per model, shared by all of that model's calls. */
export class CallPolicies {
  private readonly byModel = new Map<string, ModelCallPolicy>();
  private readonly options: CallPolicyOptions;

  constructor(options: CallPolicyOptions) {
    checkOptions(options);
    this.options = { ...options };
  }

  forModel(modelId: string): CallPolicy {
    let policy = this.byModel.get(modelId);
    if (!policy) {
      policy = new ModelCallPolicy(modelId, this.options);
      this.byModel.set(modelId, policy);
    }
    return policy;
  }
}
