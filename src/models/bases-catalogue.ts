import { Type, type Static } from 'typebox';
import { PixelScalingSchema } from './preprocessing.js';

/** A well-known pretrained image base that `{"base": "<id>"}` imports. */
export const CatalogueBaseSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    url: Type.String({
      description:
        'Where its model.json is fetched from: where it is published, or under BASE_MIRROR_URL when set',
    }),
    format: Type.Enum(['layers-model', 'graph-model']),
    inputShape: Type.Array(Type.Integer(), { description: 'One image, without the batch dimension' }),
    preprocessing: PixelScalingSchema,
    defaultCutLayer: Type.Union([Type.String(), Type.Null()], {
      description:
        'Where a transfer job cuts it unless told otherwise; null for a GraphModel, whose output is the features',
    }),
    licence: Type.String({ description: 'SPDX identifier of the weights’ licence' }),
    docs: Type.String({ description: 'Where the base is documented' }),
  },
  { title: 'CatalogueBase' },
);
export type CatalogueBase = Static<typeof CatalogueBaseSchema>;

const IMAGE: number[] = [224, 224, 3];
/** x / 127.5 - 1: pixels to [-1, 1], as the Keras MobileNets (and Teachable Machine) take them. */
const MINUS_ONE_TO_ONE = { scale: 1 / 127.5, offset: -1 };
/** x / 255: pixels to [0, 1], as every TF Hub image model takes them. */
const ZERO_TO_ONE = { scale: 1 / 255, offset: 0 };

/** MobileNet v1 from tfjs-models, as Teachable Machine's v1 bases and @tensorflow-models/mobilenet load it. */
const mobileNetV1 = (alpha: string, width: string): CatalogueBase => ({
  id: `mobilenet-v1-${width}-224`,
  name: `MobileNet v1 ${width} (224 px, ImageNet)`,
  url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_224/model.json`,
  format: 'layers-model',
  inputShape: IMAGE,
  preprocessing: MINUS_ONE_TO_ONE,
  defaultCutLayer: 'conv_pw_13_relu',
  licence: 'Apache-2.0',
  docs: 'https://github.com/tensorflow/tfjs-models/tree/master/mobilenet',
});

/** The MobileNet v2 "no top" bases Teachable Machine trains image projects on (its v2 default is 0.35). */
const mobileNetV2 = (alpha: string): CatalogueBase => ({
  id: `mobilenet-v2-${alpha}-224-no-top`,
  name: `MobileNet v2 ${alpha} (224 px, ImageNet, no top; Teachable Machine)`,
  url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`,
  format: 'layers-model',
  inputShape: IMAGE,
  preprocessing: MINUS_ONE_TO_ONE,
  defaultCutLayer: 'out_relu',
  licence: 'Apache-2.0',
  docs: 'https://github.com/googlecreativelab/teachablemachine-community/tree/master/libraries/image',
});

/**
 * A TF Hub TF.js feature-vector model, at the model.json its handle resolves to (TF.js's `fromTFHub`: the handle,
 * then `/model.json?tfjs-format=file`). tfhub.dev redirects these, and the handle's page, to Kaggle.
 */
const tfHubFeatures = (id: string, name: string, handle: string): CatalogueBase => ({
  id,
  name,
  url: `https://tfhub.dev/${handle}/model.json?tfjs-format=file`,
  format: 'graph-model',
  inputShape: IMAGE,
  preprocessing: ZERO_TO_ONE,
  defaultCutLayer: null,
  licence: 'Apache-2.0',
  docs: `https://tfhub.dev/${handle}`,
});

/**
 * The catalogue, one entry per base: a base is added here in one line. With BASE_MIRROR_URL set, each is fetched
 * from `<BASE_MIRROR_URL>/<id>/model.json` instead, its weight files beside it.
 */
export const BASES: readonly CatalogueBase[] = [
  mobileNetV1('0.25', '0.25'),
  mobileNetV1('0.50', '0.50'),
  mobileNetV1('0.75', '0.75'),
  mobileNetV1('1.0', '1.00'),
  mobileNetV2('0.35'),
  mobileNetV2('0.50'),
  mobileNetV2('0.75'),
  mobileNetV2('1.00'),
  tfHubFeatures(
    'mobilenet-v3-small-100-224-features',
    'MobileNet v3 small 1.00 (224 px, ImageNet) feature vector',
    'google/tfjs-model/imagenet/mobilenet_v3_small_100_224/feature_vector/5/default/1',
  ),
  tfHubFeatures(
    'mobilenet-v3-large-100-224-features',
    'MobileNet v3 large 1.00 (224 px, ImageNet) feature vector',
    'google/tfjs-model/imagenet/mobilenet_v3_large_100_224/feature_vector/5/default/1',
  ),
  tfHubFeatures(
    'efficientnet-lite0-features',
    'EfficientNet-Lite0 (224 px, ImageNet) feature vector',
    'tensorflow/tfjs-model/efficientnet/lite0/feature-vector/2/default/1',
  ),
];

export const BASE_IDS = BASES.map((base) => base.id);

/** A catalogue base by id, or undefined. */
export const catalogueBase = (id: string): CatalogueBase | undefined => BASES.find((base) => base.id === id);

/** Where a base's model.json is fetched from: its published URL, or its folder under the mirror. */
export function baseModelUrl(base: CatalogueBase, mirror: string): string {
  if (!mirror) return base.url;
  return `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(base.id)}/model.json`;
}
