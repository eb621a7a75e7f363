// autocannon ships no types: the part of its programmatic API the console-query bench uses.
declare module 'autocannon' {
  interface Options {
    url: string;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    /** Seconds; ignored when `amount` is given. */
    duration?: number;
    /** Send exactly this many requests, then stop once all are answered. */
    amount?: number;
    /** Milliseconds between samples; the run ends at the first sample after its last response. */
    sampleInt?: number;
    /** Responses whose body differs are counted in `mismatches`. */
    expectBody?: string;
  }

  interface Histogram {
    p50: number;
    p99: number;
    total: number;
  }

  interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    /** Milliseconds. */
    latency: Histogram;
    /** `total`: responses received. */
    requests: Histogram;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
