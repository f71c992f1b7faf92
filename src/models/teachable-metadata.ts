import type { ModelRecord } from './model-store.js';

/** The TF.js version models are saved with here, as Teachable Machine's metadata states it. */
const TFJS_VERSION = '4.22.0';

/** The file a Teachable Machine loader reads beside model.json. */
export const TEACHABLE_METADATA_FILE = 'metadata.json';

/** Whether the model takes pictures: an input of [height, width, 1 or 3]. */
export const takesImages = (record: Pick<ModelRecord, 'inputShape'>) =>
  record.inputShape.length === 3 && (record.inputShape[2] === 1 || record.inputShape[2] === 3);

/**
 * A Teachable-Machine-style `metadata.json` for an image model, as `@teachablemachine/image`'s `load(model,
 * metadata)` and ml5's image classifier read it: the labels in output order and the image size, with the
 * model's own input and preprocessing under `userMetadata.finetuned`. Those loaders crop the picture to a centred
 * square of `imageSize` and scale pixels to x / 127 − 1 themselves, so they predict as the service does for a
 * model with a square input and `{scale: 1/127.5, offset: −1}`, the MobileNet preprocessing. Null for a model
 * that does not take pictures, and for a head stored beside its GraphModel base, which those loaders, reading
 * model.json alone, would run on pictures.
 */
export function teachableMetadata(record: ModelRecord): Record<string, unknown> | null {
  if (!takesImages(record) || record.graphBase) return null;
  return {
    tfjsVersion: TFJS_VERSION,
    packageName: '@teachablemachine/image',
    packageVersion: '0.8.5',
    modelName: record.name,
    timeStamp: record.createdAt,
    labels: record.labels ?? [],
    imageSize: record.inputShape[0],
    userMetadata: {
      finetuned: {
        modelId: record.id,
        inputShape: record.inputShape,
        preprocessing: record.preprocessing,
      },
    },
  };
}
