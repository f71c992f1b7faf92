import { loadConfig } from '../../src/config.js';
import { zip } from '../../src/datasets/formats/zip.js';
import { imageLimitsOf } from '../../src/datasets/images/image-limits.js';
import { fashionImages, zipOf } from './archives.js';

/** What `train()` takes of an image dataset, as the worker loads it: pixels 0–255 as float32. */
export interface ImageTrainingData {
  featureShape: number[];
  labels: string[];
  data: { features: Float32Array; labelIndex: Uint32Array };
  images: true;
}

/**
 * The shipped Fashion-MNIST PNGs of `labels` (the first `perClass` of each: one count, or one per label), zipped
 * and parsed by the service's zip format, as training reads a stored image dataset.
 */
export async function fashionData(
  labels: string[],
  perClass: number | number[] = 30,
): Promise<ImageTrainingData> {
  const fixture = await fashionImages();
  const files = labels.flatMap((label, i) =>
    fixture
      .filter((file) => file.name.startsWith(`${label}/`))
      .slice(0, typeof perClass === 'number' ? perClass : perClass[i]),
  );
  const config = loadConfig({}, {});
  const limits = { maxClasses: config.MAX_CLASSES, images: imageLimitsOf(config) };
  const parsed = await zip.parse({ body: zipOf(files) }, {}, limits);
  return {
    featureShape: parsed.featureShape,
    labels: parsed.labels,
    data: { features: Float32Array.from(parsed.pixels), labelIndex: parsed.labelIndex },
    images: true,
  };
}
