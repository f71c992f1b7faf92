import { DECODE_SLOTS } from '../datasets/images/decode-slots.js';
import { decodeImage } from '../datasets/images/image-decoder.js';
import { ProblemError } from '../errors.js';
import { preprocessInPlace } from '../models/preprocessing.js';
import type { DecodeMessage, FromHost } from './inference-protocol.js';

/** Why one image of a request could not be decoded, with its index. */
export class ImageInstanceError extends Error {
  constructor(
    readonly index: number,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Bytes of model input one request's images may decode to (float32): 64 images of up to about 295×295×3, fewer
 * for a model that takes larger ones, one at least. Rows are held to far less by the JSON body's size; images,
 * small as files, would otherwise decode to whatever the model's input shape makes of them.
 */
export const MAX_IMAGE_INPUT_BYTES = 64 * 1024 * 1024;

/** A 413 when `count` images would decode to more than {@link MAX_IMAGE_INPUT_BYTES} of the model's input. */
export function assertImagesFit(record: { id: string; inputShape: number[] }, count: number): void {
  const perImage = record.inputShape.reduce((n, d) => n * d, 1) * Float32Array.BYTES_PER_ELEMENT;
  const maxImages = Math.max(1, Math.floor(MAX_IMAGE_INPUT_BYTES / perImage));
  if (count <= maxImages) return;
  throw new ProblemError(
    413,
    'body_too_large',
    `model ${record.id} takes images as [${record.inputShape.join(', ')}] inputs of ${(perImage / 2 ** 20).toFixed(1)} MiB each: at most ${maxImages} images a request, not ${count}`,
    { maxImages },
  );
}

/**
 * Decodes a request's images into the model's input, as datasets decode them (upright from EXIF, alpha flattened,
 * grayscale or sRGB, resized to the model's input by `fit`), then preprocessed as the model's record says. The
 * values of every image, one after the other; the first image that fails is an {@link ImageInstanceError}, and
 * the images after it are not decoded.
 */
export async function decodeInstances({
  images,
  target,
  preprocessing,
}: DecodeMessage): Promise<Float32Array> {
  const { height, width, channels, fit } = target;
  const size = height * width * channels;
  const values = new Float32Array(images.length * size);
  // Decoding holds an image to the pixel bound; its file's bytes are checked before it is decoded.
  const limits = { maxPixels: target.maxPixels };
  let failed = false;
  const decodeInto = async (index: number) => {
    const image = images[index]!;
    const file = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    try {
      if (file.byteLength > target.maxFileBytes)
        throw new ProblemError(413, 'image_too_large', `is over ${target.maxFileBytes} bytes`);
      const decoded = await decodeImage(
        `images[${index}]`,
        file,
        { size: { width, height }, channels, fit },
        limits,
      );
      values.set(decoded.data, index * size);
    } catch (error) {
      // The decoder's problems name a dataset entry; here they name the request's image.
      const problem = error instanceof ProblemError ? error : undefined;
      const detail = (problem?.message ?? (error as Error).message)
        .replace(/^entry '[^']*': /, '')
        .replace('a format datasets take', 'a format the service reads');
      const code = problem?.status === 413 ? problem.code : 'invalid_image';
      failed = true;
      throw new ImageInstanceError(index, problem?.status ?? 400, code, detail);
    }
  };
  // A few images at a time, as many as the host's decode slots, never all of them waiting for a slot at once: a
  // request that comes after one with many images takes turns with it instead of waiting for all of them.
  let next = 0;
  const lane = async () => {
    while (!failed && next < images.length) await decodeInto(next++);
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_SLOTS, images.length) }, lane));
  preprocessInPlace(values, preprocessing);
  return values;
}

/** Answers a decode message, always exactly once. */
export async function answerDecode(
  message: DecodeMessage,
  send: (reply: FromHost, transfer?: ArrayBuffer[]) => void,
) {
  try {
    const values = await decodeInstances(message);
    send({ type: 'decoded', id: message.id, values }, [values.buffer as ArrayBuffer]);
  } catch (error) {
    const failure =
      error instanceof ImageInstanceError
        ? error
        : new ImageInstanceError(-1, 500, 'inference_failed', (error as Error).message);
    send({
      type: 'decode_failed',
      id: message.id,
      index: failure.index,
      status: failure.status,
      code: failure.code,
      message: failure.message,
    });
  }
}
