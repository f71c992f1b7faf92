import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type * as tf from '@tensorflow/tfjs';
import { unprocessable } from '../errors.js';

/** Values checked between two turns of the event loop, so that a large model does not hold up other requests. */
const CHUNK = 1 << 20;
const FLOAT32_MAX = 3.4028234663852886e38;

const notFinite = (weight: string, file: string, detail: string) =>
  unprocessable('non_finite_weights', `weight '${weight}' ${detail}: weights must be finite numbers`, {
    file,
    weight,
  });

/** Index of the first NaN or infinite value, or -1; `x - x` is NaN exactly for those. */
async function firstNonFinite(values: Float32Array | Uint16Array, half: boolean): Promise<number> {
  for (let start = 0; start < values.length; start += CHUNK) {
    const end = Math.min(values.length, start + CHUNK);
    for (let i = start; i < end; i++) {
      // A float16 with every exponent bit set is an infinity or a NaN.
      if (half ? (values[i]! & 0x7c00) === 0x7c00 : values[i]! - values[i]! !== 0) return i;
    }
    if (end < values.length) await yieldToLoop();
  }
  return -1;
}

/**
 * `count` values of `bytes` bytes at `offset` of a group's files read as one: a view of the file that holds them
 * when they lie in one and are aligned, else a copy of just those values (never of the whole group).
 */
function view(parts: Uint8Array[], offset: number, count: number, bytes: 2 | 4): Float32Array | Uint16Array {
  const Kind = bytes === 4 ? Float32Array : Uint16Array;
  const length = count * bytes;
  if (length === 0) return new Kind(0);
  let start = 0;
  let index = 0;
  while (index < parts.length - 1 && start + parts[index]!.byteLength <= offset)
    start += parts[index++]!.byteLength;
  const part = parts[index]!;
  const at = part.byteOffset + offset - start;
  if (offset - start + length <= part.byteLength && at % bytes === 0)
    return new Kind(part.buffer as ArrayBuffer, at, count);
  const copy = new Uint8Array(length);
  for (let written = 0; written < length; index++) {
    const from = parts[index]!.subarray(offset + written - start);
    const taken = Math.min(from.byteLength, length - written);
    copy.set(from.subarray(0, taken), written);
    written += taken;
    start += parts[index]!.byteLength;
  }
  return new Kind(copy.buffer);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Refuses (422, naming the weight) an upload whose float weights hold NaN or an infinity, or whose quantization
 * turns its stored integers into one. Weights are read as the manifest lays them out in each group's files;
 * validateUpload has already checked that the sizes add up.
 */
export async function assertFiniteWeights(
  manifest: tf.io.WeightsManifestConfig,
  files: Map<string, Uint8Array | string>,
): Promise<void> {
  for (const group of manifest) {
    const parts = group.paths.map((path) => files.get(path) as Uint8Array);
    const file = group.paths[0] ?? 'model.json';
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((n, d) => n * d, 1);
      const quantization = spec.quantization;
      const stored = quantization?.dtype ?? spec.dtype;
      if (quantization && stored !== 'float16') {
        const { scale = 1, min = 0 } = quantization;
        if (
          !Number.isFinite(scale) ||
          !Number.isFinite(min) ||
          Math.abs(min) + 65535 * Math.abs(scale) > FLOAT32_MAX
        )
          throw notFinite(spec.name, 'model.json', 'is quantized with a scale or minimum that is not finite');
      } else if (stored === 'float32' || stored === 'float16') {
        const values = view(parts, offset, count, stored === 'float32' ? 4 : 2);
        const index = await firstNonFinite(values, stored === 'float16');
        if (index >= 0) {
          const value = stored === 'float32' ? String(values[index]) : 'NaN or Infinity';
          throw notFinite(spec.name, file, `holds ${value} at index ${index}`);
        }
      }
      offset += count * (BYTES[stored] ?? 0);
    }
  }
}
