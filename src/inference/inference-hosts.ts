import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { unavailable } from '../errors.js';
import type { BackendInfo } from '../tf/backend.js';
import type { Batch } from './batcher.js';
import { openChannel, type HostChannel } from './host-channel.js';
import type { DecodeMessage, FromHost, HostStats } from './inference-protocol.js';

/** Restarting a host that keeps failing to start waits longer each time, up to this. */
const MAX_RESTART_DELAY_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 1_000;

/** What a host answers about a batch. */
export type BatchReply = Extract<FromHost, { type: 'result' | 'error' }>;
/** What a host answers about images to decode. */
export type DecodeReply = Extract<FromHost, { type: 'decoded' | 'decode_failed' }>;

/** One inference host and the batches it has been sent and not yet answered. */
export class Host {
  dead = false;
  readonly running = new Map<number, Batch>();
  readonly asked = new Map<number, { resolve: (stats: HostStats) => void; reject: (error: Error) => void }>();
  /** Images sent to be decoded and not yet answered. */
  readonly decoding = new Map<
    number,
    { resolve: (reply: DecodeReply) => void; reject: (error: Error) => void }
  >();
  constructor(
    readonly index: number,
    readonly channel: HostChannel,
  ) {}
}

export interface HostSetOptions {
  isolation: 'thread' | 'process';
  config: Config;
  logger: Pick<Logger, 'error'>;
}

/** What the pool is told of its hosts. */
export interface HostEvents {
  /** A host started, first or in place of one that died. */
  ready(host: Host): void;
  reply(host: Host, message: BatchReply): void;
  /** A ready host died; it is marked dead and another is being started. */
  lost(host: Host): void;
}

/**
 * The inference hosts: starts them, starts another in place of one that dies (backing off while starting fails),
 * answers stats calls, and stops them all on close.
 */
export class HostSet {
  private readonly hosts: Host[] = [];
  /** Every host started and not yet stopped, ready or not. */
  private readonly channels = new Set<HostChannel>();
  private nextId = 1;
  /** `live`, kept until a host starts or dies: it is read for every request. */
  private liveHosts: Host[] | undefined;
  closing = false;
  backend: BackendInfo | undefined;

  constructor(
    private readonly options: HostSetOptions,
    private readonly events: HostEvents,
  ) {}

  /** Starts `count` hosts and waits until each has its TF.js backend. */
  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, i) => this.spawn(i)));
  }

  get live(): Host[] {
    return (this.liveHosts ??= this.hosts.filter((host) => host !== undefined && !host.dead));
  }

  private spawn(index: number): Promise<Host> {
    return new Promise((resolve, reject) => {
      const host: Host = new Host(
        index,
        openChannel({
          ...this.options,
          onMessage: (message) => onMessage(message),
          onExit: (why) => onExit(why),
        }),
      );
      this.channels.add(host.channel);
      const onMessage = (message: FromHost) => {
        if (message.type === 'stats') return this.answer(host, message.id, message.stats);
        if (message.type === 'decoded' || message.type === 'decode_failed')
          return this.decoded(host, message);
        if (message.type !== 'ready') return this.events.reply(host, message);
        if (this.closing) return void host.channel.stop();
        this.backend = message.backend;
        this.hosts[index] = host;
        this.liveHosts = undefined;
        resolve(host);
        this.events.ready(host);
      };
      const onExit = (why: string) => {
        this.channels.delete(host.channel);
        if (host.dead) return;
        host.dead = true;
        this.liveHosts = undefined;
        if (this.hosts[index] !== host)
          return reject(new Error(`an inference host failed to start (${why})`));
        this.lose(host, why);
        if (!this.closing) this.restart(index, FIRST_RESTART_DELAY_MS);
      };
    });
  }

  /** Starts a host in place of one that died, again and again (backing off) until one starts. */
  private restart(index: number, delayMs: number) {
    this.spawn(index).catch((error: unknown) => {
      this.options.logger.error({ err: error, retryInMs: delayMs }, 'inference host failed to start');
      if (this.closing) return;
      setTimeout(() => this.restart(index, Math.min(delayMs * 2, MAX_RESTART_DELAY_MS)), delayMs).unref();
    });
  }

  private lose(host: Host, why: string) {
    this.options.logger.error({ host: host.index, why }, 'inference host exited; starting another');
    this.events.lost(host);
    const error = unavailable(
      'inference_unavailable',
      'the inference host running this request exited; retry it',
    );
    for (const { reject } of [...host.asked.values(), ...host.decoding.values()]) reject(error);
    host.asked.clear();
    host.decoding.clear();
  }

  /**
   * Has the least busy host decode images into a model's input; its answer, or unavailable when no host is up or
   * the one decoding them exits.
   */
  decode(message: Omit<DecodeMessage, 'id'>): Promise<DecodeReply> {
    const busy = (host: Host) => host.running.size + host.decoding.size;
    const host = this.live.reduce<Host | undefined>(
      (best, h) => (!best || busy(h) < busy(best) ? h : best),
      undefined,
    );
    if (!host) return Promise.reject(unavailable('inference_unavailable', 'no inference host is running'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      host.decoding.set(id, { resolve, reject });
      const transfer = message.images.map((image) => image.buffer as ArrayBuffer);
      host.channel.send({ ...message, id }, transfer);
    });
  }

  private decoded(host: Host, reply: DecodeReply) {
    host.decoding.get(reply.id)?.resolve(reply);
    host.decoding.delete(reply.id);
  }

  private answer(host: Host, id: number, stats: HostStats) {
    host.asked.get(id)?.resolve(stats);
    host.asked.delete(id);
  }

  /** Each host's loaded models and TF.js memory; a host that does not answer within `timeoutMs` fails the call. */
  stats(timeoutMs: number): Promise<HostStats[]> {
    return Promise.all(this.live.map((host) => this.ask(host, timeoutMs)));
  }

  private ask(host: Host, timeoutMs: number) {
    return new Promise<HostStats>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        host.asked.delete(id);
        reject(new Error(`inference host ${host.index} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          then(value);
        };
      host.asked.set(id, { resolve: settle(resolve), reject: settle(reject) });
      host.channel.send({ type: 'stats', id });
    });
  }

  /** Stops the hosts, those still starting too; `stopping` is called for each ready one first. */
  async close(stopping: (host: Host) => void): Promise<void> {
    this.closing = true;
    for (const host of this.live) {
      host.dead = true;
      stopping(host);
    }
    this.liveHosts = undefined;
    await Promise.all([...this.channels].map((channel) => channel.stop()));
  }
}
