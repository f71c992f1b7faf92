import {
  flag,
  int,
  ints,
  isDim,
  LayerConfigError,
  member,
  text,
  type Dim,
  type Shape,
} from './layer-config.js';

/*
 * What common Keras/TF.js layers make of their input, worked out from their config alone: the output shape and
 * the weights the layer will build.
 */

export type { Dim, Shape };

const times = (a: Dim, b: Dim) => (a === null || b === null ? null : a * b);

/** Keras's conv_output_length. */
function convLength(length: Dim, kernel: number, padding: string, stride: number, dilation = 1): Dim {
  if (length === null) return null;
  const dilated = kernel + (kernel - 1) * (dilation - 1);
  const out = padding === 'valid' ? length - dilated + 1 : length;
  if (out <= 0) throw new LayerConfigError(`its window of ${dilated} does not fit an input of ${length}`);
  return Math.floor((out + stride - 1) / stride);
}

/** Splits a rank-(n+1) input into its spatial dimensions and channels, by `data_format`. */
function spatial(config: unknown, input: Dim[], n: number): { dims: Dim[]; channels: Dim; last: boolean } {
  if (input.length !== n + 1) throw new LayerConfigError(`it needs an input of rank ${n + 1} per instance`);
  const last = text(config, 'data_format', 'channelsLast') !== 'channelsFirst';
  return last
    ? { dims: input.slice(0, n), channels: input[n]!, last }
    : { dims: input.slice(1), channels: input[0]!, last };
}

const withChannels = (dims: Dim[], channels: Dim, last: boolean) =>
  last ? [...dims, channels] : [channels, ...dims];

interface Outcome {
  output: Shape;
  weights?: Array<[string, Dim[]]>;
}
type Rule = (config: unknown, inputs: Shape[]) => Outcome;

const first = (inputs: Shape[]) => inputs[0] ?? null;
const same: Rule = (_, inputs) => ({ output: first(inputs) });
const withBias = (config: unknown, weights: Array<[string, Dim[]]>, units: Dim) =>
  flag(config, 'use_bias', true) ? [...weights, ['bias', [units]] as [string, Dim[]]] : weights;

function conv(n: number): Rule {
  return (config, inputs) => {
    const input = first(inputs);
    const filters = int(config, 'filters');
    const kernel = ints(config, 'kernel_size', n);
    const weights = withBias(config, [['kernel', [...kernel, null, filters]]], filters);
    if (!input) return { output: null, weights };
    const { dims, channels, last } = spatial(config, input, n);
    weights[0]![1][n] = channels;
    const strides = ints(config, 'strides', n, new Array<number>(n).fill(1));
    const dilation = ints(config, 'dilation_rate', n, new Array<number>(n).fill(1));
    const padding = text(config, 'padding', 'valid');
    const out = dims.map((d, i) => convLength(d, kernel[i]!, padding, strides[i]!, dilation[i]));
    return { output: withChannels(out, filters, last), weights };
  };
}

const conv2dTranspose: Rule = (config, inputs) => {
  const input = first(inputs);
  const filters = int(config, 'filters');
  const kernel = ints(config, 'kernel_size', 2);
  if (!input)
    return { output: null, weights: withBias(config, [['kernel', [...kernel, filters, null]]], filters) };
  const { dims, channels, last } = spatial(config, input, 2);
  const strides = ints(config, 'strides', 2, [1, 1]);
  const valid = text(config, 'padding', 'valid') === 'valid';
  const out = dims.map((d, i) =>
    d === null ? null : d * strides[i]! + (valid ? Math.max(kernel[i]! - strides[i]!, 0) : 0),
  );
  return {
    output: withChannels(out, filters, last),
    weights: withBias(config, [['kernel', [...kernel, filters, channels]]], filters),
  };
};

/** DepthwiseConv2D, and SeparableConv2D when `filters` is given. */
function depthwise(separable: boolean): Rule {
  return (config, inputs) => {
    const input = first(inputs);
    const kernel = ints(config, 'kernel_size', 2);
    const multiplier = int(config, 'depth_multiplier', 1);
    const filters = separable ? int(config, 'filters') : null;
    const { dims, channels, last } = input
      ? spatial(config, input, 2)
      : { dims: [null, null], channels: null, last: true };
    const depth = times(channels, multiplier);
    const weights: Array<[string, Dim[]]> = [['depthwise_kernel', [...kernel, channels, multiplier]]];
    if (filters !== null) weights.push(['pointwise_kernel', [1, 1, depth, filters]]);
    const strides = ints(config, 'strides', 2, [1, 1]);
    const dilation = ints(config, 'dilation_rate', 2, [1, 1]);
    const padding = text(config, 'padding', 'valid');
    const out = dims.map((d, i) => convLength(d, kernel[i]!, padding, strides[i]!, dilation[i]));
    return {
      output: input ? withChannels(out, filters ?? depth, last) : null,
      weights: withBias(config, weights, filters ?? depth),
    };
  };
}

function pool(n: number): Rule {
  return (config, inputs) => {
    const input = first(inputs);
    if (!input) return { output: null };
    const size = ints(config, 'pool_size', n, new Array<number>(n).fill(2));
    const strides = member(config, 'strides') == null ? size : ints(config, 'strides', n);
    const padding = text(config, 'padding', 'valid');
    const { dims, channels, last } = spatial(config, input, n);
    return {
      output: withChannels(
        dims.map((d, i) => convLength(d, size[i]!, padding, strides[i]!)),
        channels,
        last,
      ),
    };
  };
}

const globalPool: Rule = (config, inputs) => {
  const input = first(inputs);
  if (!input) return { output: null };
  const last = text(config, 'data_format', 'channelsLast') !== 'channelsFirst';
  return { output: [last ? input.at(-1)! : input[0]!] };
};

/** The dimension a normalisation axis names; `axis` counts the batch dimension, as in Keras. */
function axisDim(config: unknown, input: Dim[]): Dim {
  const axis = member(config, 'axis') ?? -1;
  if (!Number.isSafeInteger(axis)) return null;
  const index = (axis as number) < 0 ? input.length + (axis as number) : (axis as number) - 1;
  return input[index] ?? null;
}

const batchNorm: Rule = (config, inputs) => {
  const input = first(inputs);
  const c = input ? axisDim(config, input) : null;
  const weights: Array<[string, Dim[]]> = [];
  if (flag(config, 'scale', true)) weights.push(['gamma', [c]]);
  if (flag(config, 'center', true)) weights.push(['beta', [c]]);
  weights.push(['moving_mean', [c]], ['moving_variance', [c]]);
  return { output: input, weights };
};

const layerNorm: Rule = (config, inputs) => {
  const input = first(inputs);
  const c = input ? axisDim(config, input) : null;
  const weights: Array<[string, Dim[]]> = [];
  if (flag(config, 'scale', true)) weights.push(['gamma', [c]]);
  if (flag(config, 'center', true)) weights.push(['beta', [c]]);
  return { output: input, weights };
};

const dense: Rule = (config, inputs) => {
  const input = first(inputs);
  const units = int(config, 'units');
  return {
    output: input ? [...input.slice(0, -1), units] : null,
    weights: withBias(config, [['kernel', [input?.at(-1) ?? null, units]]], units),
  };
};

const embedding: Rule = (config, inputs) => {
  const input = first(inputs);
  const out = int(config, 'output_dim');
  return {
    output: input ? [...input, out] : null,
    weights: [['embeddings', [int(config, 'input_dim'), out]]],
  };
};

const prelu: Rule = (config, inputs) => {
  const input = first(inputs);
  if (!input) return { output: null };
  const shared = member(config, 'shared_axes');
  const axes = new Set(Array.isArray(shared) ? shared : typeof shared === 'number' ? [shared] : []);
  return { output: input, weights: [['alpha', input.map((d, i) => (axes.has(i + 1) ? 1 : d))]] };
};

const flatten: Rule = (_, inputs) => {
  const input = first(inputs);
  if (!input) return { output: null };
  return { output: [input.reduce<Dim>((n, d) => times(n, d), 1)] };
};

const reshape: Rule = (config, inputs) => {
  const target = member(config, 'target_shape');
  if (!Array.isArray(target) || !target.every((d) => d === -1 || isDim(d)))
    throw new LayerConfigError("'target_shape' must be a list of positive integers (one may be -1)");
  const input = first(inputs);
  const known = (target as number[]).filter((d) => d !== -1).reduce((n, d) => n * d, 1);
  const total = input?.reduce<Dim>((n, d) => times(n, d), 1) ?? null;
  const free = total === null || total % known !== 0 ? null : total / known;
  return { output: (target as number[]).map((d) => (d === -1 ? free : d)) };
};

const upSampling: Rule = (config, inputs) => {
  const input = first(inputs);
  if (!input) return { output: null };
  const size = ints(config, 'size', 2, [2, 2]);
  const { dims, channels, last } = spatial(config, input, 2);
  return {
    output: withChannels(
      dims.map((d, i) => times(d, size[i]!)),
      channels,
      last,
    ),
  };
};

const repeatVector: Rule = (config, inputs) => {
  const input = first(inputs);
  return { output: input ? [int(config, 'n'), ...input] : null };
};

const concatenate: Rule = (config, inputs) => {
  if (inputs.some((s) => s === null)) return { output: null };
  const shapes = inputs as Dim[][];
  const axis = member(config, 'axis') ?? -1;
  const head = shapes[0];
  if (!Number.isSafeInteger(axis) || !head || head.length === 0) return { output: null };
  const index = (axis as number) < 0 ? head.length + (axis as number) : (axis as number) - 1;
  const out = [...head];
  out[index] = shapes.reduce<Dim>((n, s) => (n === null || s[index] == null ? null : n + s[index]), 0);
  return { output: out };
};

const RULES: Record<string, Rule> = {
  Dense: dense,
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  Conv2DTranspose: conv2dTranspose,
  DepthwiseConv2D: depthwise(false),
  SeparableConv2D: depthwise(true),
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Embedding: embedding,
  PReLU: prelu,
  Flatten: flatten,
  Reshape: reshape,
  MaxPooling1D: pool(1),
  AveragePooling1D: pool(1),
  MaxPooling2D: pool(2),
  AveragePooling2D: pool(2),
  GlobalAveragePooling1D: globalPool,
  GlobalMaxPooling1D: globalPool,
  GlobalAveragePooling2D: globalPool,
  GlobalMaxPooling2D: globalPool,
  UpSampling2D: upSampling,
  RepeatVector: repeatVector,
  Concatenate: concatenate,
};
for (const name of [
  'Activation',
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  'Masking',
  'Rescaling',
  'Add',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
])
  RULES[name] = same;

/**
 * The output shape and weights of one call of a layer, or undefined for a class whose effect is not known here
 * (its output shape is then unknown, and TF.js alone checks its weights).
 */
export function layerOutcome(className: string, config: unknown, inputs: Shape[]): Outcome | undefined {
  const rule = Object.hasOwn(RULES, className) ? RULES[className] : undefined;
  return rule?.(config, inputs);
}
