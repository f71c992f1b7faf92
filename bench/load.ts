import autocannon from 'autocannon';

/** What a load run measured: responses/s that were 2xx, their latency, and what failed. */
export interface LoadFigures {
  rate: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  seconds: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Request bodies, sent in turn on each connection. */
  bodies?: string[];
  connections: number;
  /** Either a fixed number of requests, or a duration. */
  amount?: number;
  seconds?: number;
}

/**
 * autocannon against one route, the load generated in a thread of its own so that it does not share the event
 * loop of an API listening in this process. The rate is over autocannon's own clock, sampled every 5 ms, so that
 * a short run (a fixed `amount`) is timed as closely as a long one.
 */
export async function load(options: LoadOptions): Promise<LoadFigures> {
  const { url, method = 'POST', headers = {}, bodies = [''], connections, amount, seconds } = options;
  const result = await autocannon({
    url,
    connections,
    headers,
    requests: bodies.map((body) => ({ method, body })),
    ...(amount === undefined ? { duration: seconds ?? 5 } : { amount }),
    sampleInt: 5,
    workers: 1,
  });
  return {
    rate: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed: result.errors + result.non2xx,
    seconds: result.duration,
  };
}

/** Runs `task(i)` for i < n with at most `concurrency` in flight; returns the seconds it took. */
export async function pool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}
