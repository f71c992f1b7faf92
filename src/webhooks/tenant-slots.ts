/**
 * How many of a process's delivery slots a tenant may always have: a quarter, at least one. Beyond it, a tenant
 * takes a slot only while that many stay free for the others.
 */
export const tenantShare = (concurrency: number) => Math.max(1, Math.ceil(concurrency / 4));

/**
 * How long a tenant beyond its share may wait for a slot while its attempts under way are quick (all began
 * this recently): one of them is about to end.
 */
export const QUICK_MS = 100;

/** Ends the attempt that took a slot. */
export type Release = () => void;

/**
 * A process's delivery slots shared between tenants, so that a tenant whose endpoints hang (each attempt holding
 * a slot for WEBHOOK_TIMEOUT_MS) slows its own deliveries and never all of another's; alone, it has every slot
 * but those kept for others. A tenant at its bound whose attempts are quick waits up to {@link QUICK_MS} for one
 * of them to end; one whose attempts are slow is told at once that there is no slot for it.
 */
export class TenantSlots {
  /** When each attempt under way began, by tenant, oldest first. */
  private readonly started = new Map<string, number[]>();
  /** Wakes those waiting for a slot, when an attempt ends. */
  private readonly ends = new Set<() => void>();
  private total = 0;
  private readonly share: number;

  constructor(private readonly concurrency: number) {
    this.share = tenantShare(concurrency);
  }

  /** Takes a slot for the tenant, waiting a little if its attempts are quick; undefined when there is none. */
  async take(tenant: string): Promise<Release | undefined> {
    const deadline = Date.now() + QUICK_MS;
    while (!this.mayStart(tenant)) {
      const now = Date.now();
      if (now >= deadline || !this.quick(tenant, now)) return undefined;
      await this.nextEnd(deadline - now);
    }
    const startedAt = Date.now();
    const started = this.started.get(tenant) ?? [];
    started.push(startedAt);
    this.started.set(tenant, started);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.give(tenant, startedAt);
    };
  }

  private mayStart(tenant: string): boolean {
    const busy = this.started.get(tenant)?.length ?? 0;
    return busy < this.share || this.total < this.concurrency - this.share;
  }

  /** Whether every attempt of the tenant under way began within {@link QUICK_MS}. */
  private quick(tenant: string, now: number): boolean {
    const oldest = this.started.get(tenant)?.[0];
    return oldest === undefined || now - oldest < QUICK_MS;
  }

  /** Resolves when an attempt ends, or after `ms`. */
  private nextEnd(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.ends.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.ends.add(done);
    });
  }

  private give(tenant: string, startedAt: number): void {
    const started = this.started.get(tenant) ?? [];
    started.splice(started.indexOf(startedAt), 1);
    if (started.length === 0) this.started.delete(tenant);
    this.total--;
    for (const wake of [...this.ends]) wake();
  }
}
