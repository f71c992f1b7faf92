/** PyTorch for the benches' reference figures: whether python3 can import it, and running a bench's script. */
import { spawnSync } from 'node:child_process';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

/** Why PyTorch cannot run here, or null when it can. */
export function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  return (probe.stderr || String(probe.error)).trim().split('\n').at(-1) ?? 'unknown';
}

/**
 * Runs bench/`script` with `body` as JSON on stdin; its one JSON object printed, or why it failed. A failure is
 * reported, not thrown: PyTorch is a comparison, not something a bench depends on.
 */
export function runTorchScript<T>(script: string, body: unknown): T | { skipped: string } {
  const out = spawnSync(PYTHON, [new URL(`./${script}`, import.meta.url).pathname], {
    // OpenMP threads that spin while they wait for work fight for a shared machine's cores: 2 threads ran ~15×
    // slower than 1 here with them spinning.
    env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env },
    input: JSON.stringify(body),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0)
    return { skipped: `${script} failed: ${(out.stderr || String(out.error)).trim().split('\n').at(-1)}` };
  return JSON.parse(out.stdout) as T;
}
