import { Type, type Static } from 'typebox';
import { badRequest } from '../../errors.js';
import type { Channels, DecodeTarget, Fit } from './image-decoder.js';
import type { ImageLimits } from './image-limits.js';

/** The upload's query options for image archives: how the images are stored. */
export const IMAGE_OPTIONS = {
  size: Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$',
      description:
        'WxH: every image resized to it (see fit); default: the images kept at their size, which they must then share',
    }),
  ),
  channels: Type.Optional(
    Type.Integer({
      enum: [1, 3],
      description: '1: grayscale, 3: RGB; default: 1 when every image is grayscale, else 3',
    }),
  ),
  fit: Type.Optional(
    Type.Enum(['cover', 'contain'], {
      description:
        'With size: cover (default) crops to fill it, keeping the centre; contain fits inside it, padded with black',
    }),
  ),
};

export type ImageOptions = Static<ReturnType<typeof Type.Object<typeof IMAGE_OPTIONS>>>;

/** What the options ask of every image; a size over DATASET_IMAGE_MAX_PIXELS is refused here. */
export function decodeTarget(options: ImageOptions, limits: ImageLimits): DecodeTarget {
  const fit: Fit = options.fit ?? 'cover';
  const channels = options.channels as Channels | undefined;
  if (options.size === undefined) return { fit, channels };
  const [width, height] = options.size.split('x').map(Number) as [number, number];
  if (width * height > limits.maxPixels) {
    throw badRequest(
      'invalid_dataset',
      `size ${options.size} is more than ${limits.maxPixels} pixels (DATASET_IMAGE_MAX_PIXELS)`,
      { field: '/querystring/size' },
    );
  }
  return { fit, channels, size: { width, height } };
}
