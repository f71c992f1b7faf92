import * as tf from '@tensorflow/tfjs';
import type { PixelScaling, Preprocessing } from '../models/preprocessing.js';
import type { PreprocessingKind } from './input-preprocessing.js';

/** [height, width, channels]. */
export type ImageShape = [number, number, number];

/**
 * How a job's images reach its model: stored at `imageShape` (pixels 0-255), resized to the model's
 * `inputShape`, grayscale repeated into RGB where the model takes three channels, then scaled by `pixels`.
 */
export interface ImageInputs {
  imageShape: ImageShape;
  inputShape: ImageShape;
  /** The model's pixel scaling, stored with the trained model; null: pixels go in as they are (0-255). */
  pixels: PixelScaling | null;
}

/** What a model trained from scratch on images takes: pixels scaled to 0..1. */
export const FROM_SCRATCH_PIXELS: PixelScaling = { scale: 1 / 255, offset: 0 };

const show = (shape: number[]) => `[${shape.join(', ')}]`;

/**
 * Why images of `imageShape` cannot be made into inputs of `inputShape`, or null when they can: the input must be
 * an image, [H, W, C], of the images' channels, or of three where the images are grayscale (repeated into RGB).
 * Any height and width can be resized to.
 */
export function imageInputMismatch(imageShape: number[], inputShape: number[]): string | null {
  if (inputShape.length !== 3)
    return `the model takes input ${show(inputShape)}, not images [height, width, channels]`;
  const [c, C] = [imageShape[2], inputShape[2]];
  if (c === C || (c === 1 && C === 3)) return null;
  return `the model takes ${C}-channel images ${show(inputShape)}, but the dataset's images have ${c} channel${c === 1 ? '' : 's'} ${show(imageShape)}`;
}

/** What {@link imageInputsOf} reads of a training input. */
export interface ImageSource {
  /** The dataset holds images, its feature shape [H, W, C]. */
  images?: boolean;
  featureShape: number[];
  /** A base model to transfer from: its own pixel scaling is kept (none: it takes pixels as they are). */
  base?: unknown;
  basePixels?: PixelScaling | null;
  /** `none` from scratch: pixels go in as they are (0-255); any other kind scales them to 0..1. */
  spec: { preprocessing?: PreprocessingKind };
}

/** The image inputs of a job on an image dataset for a model taking `inputShape`; null for tabular datasets. */
export function imageInputsOf(source: ImageSource, inputShape: number[]): ImageInputs | null {
  if (!source.images) return null;
  const mismatch = imageInputMismatch(source.featureShape, inputShape);
  if (mismatch) throw new Error(mismatch);
  return {
    imageShape: source.featureShape as ImageShape,
    inputShape: inputShape as ImageShape,
    pixels: source.base
      ? (source.basePixels ?? null)
      : source.spec.preprocessing === 'none'
        ? null
        : FROM_SCRATCH_PIXELS,
  };
}

/** The preprocessing a model trained on images is stored with: its pixel scaling, applied at every prediction. */
export const imagePreprocessing = (inputs: ImageInputs): Preprocessing =>
  inputs.pixels ? { pixels: inputs.pixels } : null;

/** A batch of stored images, [n, h, w, c] pixels 0-255, as the model takes them: resized, channels, scaled. */
export function toModelInput(images: tf.Tensor, inputs: ImageInputs): tf.Tensor {
  return tf.tidy(() => {
    const [h, w, c] = inputs.imageShape;
    const [H, W, C] = inputs.inputShape;
    let x = images as tf.Tensor4D;
    // Half-pixel centres, as TensorFlow's own image resizing samples.
    if (h !== H || w !== W) x = tf.image.resizeBilinear(x, [H, W], false, true);
    if (c === 1 && C === 3) x = tf.tile(x, [1, 1, 1, 3]);
    const { pixels } = inputs;
    if (pixels && (pixels.scale !== 1 || pixels.offset !== 0)) x = x.mul(pixels.scale).add(pixels.offset);
    return x;
  });
}

/**
 * The layer that turns stored images into model inputs ({@link toModelInput}), for the models training fits.
 * It has no weights and is never saved: the stored model takes inputs of its own shape, scaled by its
 * preprocessing, and a client resizes its images to that shape.
 */
class ImageInputLayer extends tf.layers.Layer {
  static readonly className = 'ImageInput';

  constructor(private readonly inputs: ImageInputs) {
    super({ name: 'image_input', trainable: false });
  }

  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const batch = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
    return [batch[0] ?? null, ...this.inputs.inputShape];
  }

  override call(input: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return toModelInput(Array.isArray(input) ? input[0]! : input, this.inputs);
  }
}

/**
 * `model` on stored images: one model that resizes and scales each batch on its way in, sharing every weight with
 * `model`. Fitting it trains `model`; the images are never all held at the model's input size at once.
 */
export function onImages(model: tf.LayersModel, inputs: ImageInputs): tf.LayersModel {
  const input = tf.input({ shape: inputs.imageShape, name: 'images' });
  const resized = new ImageInputLayer(inputs).apply(input) as tf.SymbolicTensor;
  const output = model.apply(resized) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: `${model.name}_on_images` });
}
