import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallPolicies, CircuitOpenError, createProviderClient, ProviderError, type CallPolicyOptions } from '../../src/providers/index.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';

const OPTIONS: CallPolicyOptions = { timeoutMs: 1_000, maxAttempts: 1, initialDelayMs: 5, maxDelayMs: 20, breakerThreshold: 3, halfOpenAfterMs: 200 };
const live = () => new AbortController().signal;
const retryable = (message = 'upstream 500') => new ProviderError(message, { status: 500, retryable: true });
const fatal = () => new ProviderError('401 Incorrect API key provided', { status: 401, retryable: false });

/** A provider call that counts itself and does what it is told. */
function fakeCall(behaviour: () => Promise<string>) {
  const fn = async () => {
    fn.calls++;
    return behaviour();
  };
  fn.calls = 0;
  return fn;
}

describe('circuit breaker', () => {
  it('opens after breakerThreshold consecutive retryable failures and then refuses at once, without calling', async () => {
    const policy = new CallPolicies(OPTIONS).forModel('m');
    const failing = fakeCall(() => Promise.reject(retryable()));
    for (let i = 0; i < 3; i++) await expect(policy.execute(failing, live())).rejects.toBeInstanceOf(ProviderError);

    const started = Date.now();
    const refused = await policy.execute(failing, live()).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(50);
    expect(failing.calls).toBe(3);
  });

  it('counts each attempt of a retried call', async () => {
    const policy = new CallPolicies({ ...OPTIONS, maxAttempts: 5 }).forModel('m');
    const failing = fakeCall(() => Promise.reject(retryable()));
    // Attempts 1–3 fail and open the circuit; attempt 4 is refused, so the call ends with CircuitOpenError.
    await expect(policy.execute(failing, live())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(failing.calls).toBe(3);
  });

  it('does not count fatal errors toward opening', async () => {
    const policy = new CallPolicies(OPTIONS).forModel('m');
    const unauthorized = fakeCall(() => Promise.reject(fatal()));
    for (let i = 0; i < 10; i++) await expect(policy.execute(unauthorized, live())).rejects.toMatchObject({ status: 401 });
    expect(unauthorized.calls).toBe(10);
    await expect(policy.execute(() => Promise.resolve('fine'), live())).resolves.toBe('fine');
  });

  it('keeps one breaker per model', async () => {
    const policies = new CallPolicies(OPTIONS);
    for (let i = 0; i < 3; i++) await policies.forModel('broken').execute(() => Promise.reject(retryable()), live()).catch(() => {});
    await expect(policies.forModel('broken').execute(() => Promise.resolve('x'), live())).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(policies.forModel('healthy').execute(() => Promise.resolve('ok'), live())).resolves.toBe('ok');
    expect(policies.forModel('broken')).toBe(policies.forModel('broken'));
  });

  it('lets one trial call through after halfOpenAfterMs, refusing others meanwhile, and closes when it succeeds', async () => {
    const policy = new CallPolicies(OPTIONS).forModel('m');
    for (let i = 0; i < 3; i++) await policy.execute(() => Promise.reject(retryable()), live()).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 220));

    let finishTrial!: (value: string) => void;
    const trial = policy.execute(() => new Promise<string>((resolve) => (finishTrial = resolve)), live());
    const other = fakeCall(() => Promise.resolve('other'));
    await expect(policy.execute(other, live())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(other.calls).toBe(0);

    finishTrial('trial ok');
    await expect(trial).resolves.toBe('trial ok');
    await expect(policy.execute(other, live())).resolves.toBe('other');
  });

  it('opens again when the trial call fails', async () => {
    const policy = new CallPolicies(OPTIONS).forModel('m');
    for (let i = 0; i < 3; i++) await policy.execute(() => Promise.reject(retryable()), live()).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 220));
    await expect(policy.execute(() => Promise.reject(retryable('still down')), live())).rejects.toMatchObject({ message: 'still down' });
    await expect(policy.execute(() => Promise.resolve('x'), live())).rejects.toBeInstanceOf(CircuitOpenError);
  });

  describe('over HTTP', () => {
    let server: FakeLlmServer;
    beforeAll(async () => {
      server = await startFakeLlmServer({ fault: () => ({ status: 503 }) });
    });
    afterAll(() => server.close());

    it('stops sending requests to a failing provider once open', async () => {
      const model = { id: 'http-model', provider: 'OPENAI_COMPATIBLE' as const, modelName: 'm', baseUrl: server.url, apiKey: null, parameters: {} };
      const client = createProviderClient(model);
      const policy = new CallPolicies({ ...OPTIONS, breakerThreshold: 4, halfOpenAfterMs: 60_000 }).forModel(model.id);
      const results = [];
      for (let i = 0; i < 10; i++) {
        results.push(await policy.execute((signal) => client.complete({ system: null, prompt: `p${i}`, signal }), live()).catch((err: unknown) => err));
      }
      expect(server.calls()).toBe(4);
      expect(results.slice(0, 4).every((r) => r instanceof ProviderError && r.status === 503)).toBe(true);
      expect(results.slice(4).every((r) => r instanceof CircuitOpenError)).toBe(true);
    });
  });
});

describe('timeouts, retries and aborts', () => {
  it('aborts the attempt’s signal at timeoutMs and retries with a fresh one', async () => {
    const policy = new CallPolicies({ ...OPTIONS, timeoutMs: 60, maxAttempts: 2 }).forModel('m');
    const signals: AbortSignal[] = [];
    const result = await policy.execute(async (signal) => {
      signals.push(signal);
      if (signals.length === 1) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return 'second';
    }, live());
    expect(result).toBe('second');
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]).not.toBe(signals[0]);
  });

  it('ends a timed-out attempt even if the call ignores its signal', async () => {
    const policy = new CallPolicies({ ...OPTIONS, timeoutMs: 50 }).forModel('m');
    const started = Date.now();
    await expect(policy.execute(() => new Promise<never>(() => {}), live())).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(/within 50 ms/) });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('does not retry errors other than retryable provider errors', async () => {
    const policy = new CallPolicies({ ...OPTIONS, maxAttempts: 4 }).forModel('m');
    const bug = fakeCall(() => Promise.reject(new TypeError('a bug')));
    await expect(policy.execute(bug, live())).rejects.toThrow('a bug');
    const unauthorized = fakeCall(() => Promise.reject(fatal()));
    await expect(policy.execute(unauthorized, live())).rejects.toMatchObject({ status: 401 });
    expect([bug.calls, unauthorized.calls]).toEqual([1, 1]);
  });

  it('stops a backoff wait at once when the caller aborts, with the caller’s reason and no further attempt', async () => {
    const policy = new CallPolicies({ ...OPTIONS, maxAttempts: 5, breakerThreshold: 100 }).forModel('m');
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const limited = fakeCall(() => Promise.reject(new ProviderError('429 slow down', { status: 429, retryable: true, retryAfterMs: 10_000 })));
    const call = policy.execute(limited, controller.signal);
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(call).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(500);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(limited.calls).toBe(1);
  });

  it('stops an attempt in flight when the caller aborts, and does not count it as a failure', async () => {
    const policy = new CallPolicies({ ...OPTIONS, breakerThreshold: 1 }).forModel('m');
    const controller = new AbortController();
    const reason = new Error('lease lost');
    const call = policy.execute((signal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('sdk abort')))), controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await expect(call).rejects.toBe(reason);
    // breakerThreshold 1: a counted failure would have opened the circuit.
    await expect(policy.execute(() => Promise.resolve('still closed'), live())).resolves.toBe('still closed');
  });

  it('refuses a signal already aborted without calling', async () => {
    const policy = new CallPolicies(OPTIONS).forModel('m');
    const reason = new Error('already stopped');
    const never = fakeCall(() => Promise.resolve('x'));
    await expect(policy.execute(never, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(never.calls).toBe(0);
  });

  it('rejects options that cannot work', () => {
    expect(() => new CallPolicies({ ...OPTIONS, maxAttempts: 0 })).toThrow(/maxAttempts must be a whole number of at least 1/);
    expect(() => new CallPolicies({ ...OPTIONS, timeoutMs: -1 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => new CallPolicies({ ...OPTIONS, initialDelayMs: 50, maxDelayMs: 20 })).toThrow(/initialDelayMs must be between 0 and maxDelayMs/);
  });
});
