import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { Type, type Static } from 'typebox';

/** The request's `augmentation`: random changes to each training image, drawn anew every epoch. */
export const AugmentationRequestSchema = Type.Object(
  {
    flip: Type.Optional(
      Type.Enum(['none', 'horizontal'], {
        description: 'horizontal: each image mirrored left to right with probability 1/2 (default none)',
      }),
    ),
    shift: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 0.2,
        description:
          'Each image shifted by up to this share of its size each way and cropped to between 1 - shift and all of it, resized back; the uncovered edge is black (default 0)',
      }),
    ),
    brightness: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 0.5,
        description: 'Each image brightened or darkened by up to this share of full scale (default 0)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Image datasets only: training images changed at random every epoch, reproducibly from the seed; validation images never',
  },
);
export type AugmentationRequest = Static<typeof AugmentationRequestSchema>;

/** The spec's augmentation: the request's with its defaults. */
export interface Augmentation {
  flip: 'none' | 'horizontal';
  shift: number;
  brightness: number;
}

export const resolveAugmentation = (request: AugmentationRequest): Augmentation => ({
  flip: request.flip ?? 'none',
  shift: request.shift ?? 0,
  brightness: request.brightness ?? 0,
});

/** Whether `augmentation` changes any image. */
export const augments = (augmentation: Augmentation | null | undefined): augmentation is Augmentation =>
  !!augmentation && (augmentation.flip !== 'none' || augmentation.shift > 0 || augmentation.brightness > 0);

/** Random values drawn per image, whichever changes are asked for, so an image's draw depends only on its place. */
const DRAWS = 5;

/**
 * The crop box (normalized [y1, x1, y2, x2]; x2 < x1 mirrors it) and brightness change of the images at places
 * `first`..`first + count` of an epoch, from a source seeded by the job's seed and the epoch alone.
 */
function draws(augmentation: Augmentation, seed: number, epoch: number, first: number, count: number) {
  const rng = seedrandom(`${seed}/augmentation/${epoch}`);
  for (let i = 0; i < first * DRAWS; i++) rng();
  const boxes = new Float32Array(count * 4);
  const deltas = new Float32Array(count);
  const { shift, brightness } = augmentation;
  for (let i = 0; i < count; i++) {
    const [flip, dy, dx, crop, light] = Array.from({ length: DRAWS }, () => rng());
    const size = 1 - crop! * shift;
    const y1 = (1 - size) / 2 + (2 * dy! - 1) * shift;
    const x1 = (1 - size) / 2 + (2 * dx! - 1) * shift;
    const mirrored = augmentation.flip === 'horizontal' && flip! < 0.5;
    boxes.set(mirrored ? [y1, x1 + size, y1 + size, x1] : [y1, x1, y1 + size, x1 + size], i * 4);
    deltas[i] = (2 * light! - 1) * brightness * 255;
  }
  return { boxes, deltas };
}

/**
 * Augments images (pixels 0-255, [n, h, w, c]) that stand at places `first`..`first + n - 1` of epoch `epoch`'s
 * order: the same seed, epoch and places give the same images, so a run resumed part-way through an epoch
 * goes on with the same changes. One crop-and-resize does the shift, crop and flip.
 */
export function augmentImages(
  images: tf.Tensor,
  augmentation: Augmentation,
  at: { seed: number; epoch: number; first: number },
): tf.Tensor {
  const [n, h, w] = images.shape as [number, number, number, number];
  const { boxes, deltas } = draws(augmentation, at.seed, at.epoch, at.first, n);
  return tf.tidy(() => {
    let x = images as tf.Tensor4D;
    if (augmentation.flip !== 'none' || augmentation.shift > 0) {
      const boxIndex = tf.range(0, n, 1, 'int32');
      x = tf.image.cropAndResize(x, tf.tensor2d(boxes, [n, 4]), boxIndex, [h, w], 'bilinear', 0);
    }
    if (augmentation.brightness > 0) {
      x = x.add(tf.tensor4d(deltas, [n, 1, 1, 1])).clipByValue(0, 255) as tf.Tensor4D;
    }
    return x;
  });
}

/**
 * The job's augmentation as a transform of the training rows of an epoch (stored images, pixels 0-255), or null
 * when the job augments nothing (or its rows are not images).
 */
export function augmenterFor(
  spec: { augmentation?: Augmentation | null; seed: number },
  images: boolean,
): ((rows: tf.Tensor, at: { epoch: number; first: number }) => tf.Tensor) | null {
  const augmentation = spec.augmentation;
  if (!images || !augments(augmentation)) return null;
  return (rows, { epoch, first }) => augmentImages(rows, augmentation, { seed: spec.seed, epoch, first });
}
