import { Type, type Static } from 'typebox';
import { storeKey, type BlobStore } from '../store/blob-store.js';
import { CorruptCheckpoint, decodeCheckpoint, encodeCheckpoint } from '../training/checkpoint.js';
import type { TrainingCheckpoint } from '../training/train.js';

export const CheckpointInfoSchema = Type.Object({
  id: Type.String({ description: 'Sorts in the order the checkpoints were taken' }),
  epoch: Type.Integer({ description: 'Epochs finished (both phases)' }),
  phase: Type.Enum(['head', 'fine-tune']),
  batch: Type.Integer({
    description:
      'Batches finished of the next epoch: 0 at an epoch boundary, more when a worker stopped mid-epoch',
  }),
  attempt: Type.Integer(),
  sizeBytes: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type CheckpointInfo = Static<typeof CheckpointInfoSchema>;

const pad = (n: number) => String(n).padStart(6, '0');

/**
 * Checkpoints of running jobs, in the blob store under `tenants/<t>/jobs/<id>/checkpoints/`. Each is two
 * objects: `<id>.ckpt` (the whole checkpoint, written atomically), then `<id>.json`, its description. The
 * description is written last and deleted first, so a listed checkpoint is always complete.
 */
export class CheckpointStore {
  constructor(
    private readonly store: BlobStore,
    /** How many of a job's newest checkpoints to keep. */
    private readonly keep: number,
  ) {}

  private key(tenant: string, jobId: string, file?: string): string {
    const folder = ['tenants', tenant, 'jobs', jobId, 'checkpoints'];
    return file ? storeKey(...folder, file) : storeKey(...folder);
  }

  async write(
    tenant: string,
    jobId: string,
    checkpoint: TrainingCheckpoint,
    attempt: number,
  ): Promise<CheckpointInfo> {
    const { state } = checkpoint;
    const id = `e${pad(state.history.length)}-b${pad(state.batchesDone)}`;
    const body = await encodeCheckpoint(checkpoint);
    await this.store.put(this.key(tenant, jobId, `${id}.ckpt`), body);
    const info: CheckpointInfo = {
      id,
      epoch: state.history.length,
      phase: state.phase,
      batch: state.batchesDone,
      attempt,
      sizeBytes: body.byteLength,
      createdAt: new Date().toISOString(),
    };
    await this.store.put(this.key(tenant, jobId, `${id}.json`), JSON.stringify(info));
    const stale = (await this.list(tenant, jobId)).slice(0, -this.keep);
    for (const old of stale) await this.remove(tenant, jobId, old.id);
    return info;
  }

  /** The job's checkpoints, oldest first. */
  async list(tenant: string, jobId: string): Promise<CheckpointInfo[]> {
    const names = await this.store.list(this.key(tenant, jobId));
    const infos: CheckpointInfo[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const body = await this.store.get(this.key(tenant, jobId, name));
      if (body) infos.push(JSON.parse(body.toString('utf8')) as CheckpointInfo);
    }
    return infos;
  }

  /**
   * The newest readable checkpoint, decoded (the caller disposes its tensors), or undefined when there is none.
   * A corrupt one is skipped for the one before it.
   */
  async latest(
    tenant: string,
    jobId: string,
  ): Promise<{ info: CheckpointInfo; checkpoint: TrainingCheckpoint } | undefined> {
    for (const info of (await this.list(tenant, jobId)).reverse()) {
      const body = await this.store.get(this.key(tenant, jobId, `${info.id}.ckpt`));
      if (!body) continue;
      try {
        return { info, checkpoint: decodeCheckpoint(body) };
      } catch (error) {
        if (!(error instanceof CorruptCheckpoint)) throw error;
      }
    }
    return undefined;
  }

  private async remove(tenant: string, jobId: string, id: string): Promise<void> {
    await this.store.delete(this.key(tenant, jobId, `${id}.json`));
    await this.store.delete(this.key(tenant, jobId, `${id}.ckpt`));
  }

  /** Deletes all of a job's checkpoints. */
  async deleteAll(tenant: string, jobId: string): Promise<void> {
    await this.store.deletePrefix(this.key(tenant, jobId));
  }
}
