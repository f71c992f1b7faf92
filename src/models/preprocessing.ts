import { Type, type Static } from 'typebox';
import { StandardizationSchema } from '../training/data.js';

/** How an image base expects its pixels: each value v (0..255) becomes `v × scale + offset`. */
export const PixelScalingSchema = Type.Object(
  { scale: Type.Number(), offset: Type.Number() },
  {
    description:
      'Each input value v (pixels 0..255) becomes v × scale + offset; x/127.5 - 1 is {scale: 1/127.5, offset: -1}',
  },
);
export type PixelScaling = Static<typeof PixelScalingSchema>;

/**
 * What is done to an instance's values before the model sees them, the same in training and serving: the pixel
 * scaling first, then per-feature standardization. Null: the values go in as they are.
 */
export const PreprocessingSchema = Type.Union([
  Type.Object({
    standardize: Type.Optional(StandardizationSchema),
    pixels: Type.Optional(PixelScalingSchema),
  }),
  Type.Null(),
]);
export type Preprocessing = Static<typeof PreprocessingSchema>;

export { preprocessInPlace } from '../training/data.js';
