import * as tf from '@tensorflow/tfjs';
import type { Transfer } from '../jobs/job-spec.js';
import { architectureOf, type Architecture } from './architectures/index.js';
import { dense, dropout } from './architectures/layers.js';

/** Hands out distinct initializer seeds derived from the job seed, so the same seed builds the same weights. */
export class SeedSequence {
  private next: number;
  constructor(seed: number) {
    this.next = seed;
  }
  take(): number {
    this.next = (this.next * 1103515245 + 12345) % 2 ** 31;
    return this.next;
  }
}

/** The layer every model ends in: a softmax over `units` classes (a number gives that), or one linear value. */
export type OutputLayer = number | { units: number; activation: 'softmax' | 'linear' };

const outputOf = (output: OutputLayer) =>
  typeof output === 'number' ? { units: output, activation: 'softmax' as const } : output;

/** A model trained from scratch: the architecture's layers, then the output layer (a softmax classifier). */
export function buildFromArchitecture(
  architecture: Architecture,
  inputShape: number[],
  classes: OutputLayer,
  seeds: SeedSequence,
): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'input' });
  const features = architectureOf(architecture.type).build(architecture, input, seeds);
  const { units, activation } = outputOf(classes);
  const output = dense(units, activation, 'output', seeds).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: `finetuned_${architecture.type}` });
}

/**
 * The default cut: the base's layer named `features`, otherwise the input of its final Dense layer; a base with
 * no Dense layer whose output is a feature map (a convolutional base without its classifier) is cut at its
 * output layer.
 */
export function defaultCutLayer(base: tf.LayersModel): string | null {
  if (base.layers.some((layer) => layer.name === 'features')) return 'features';
  const dense = [...base.layers].reverse().find((layer) => layer.getClassName() === 'Dense');
  if (dense) return dense.inboundNodes[0]?.inboundLayers[0]?.name ?? null;
  const [output] = base.outputs;
  return base.outputs.length === 1 && output?.shape.length === 4
    ? (base.outputLayers[0]?.name ?? null)
    : null;
}

/** Sets which base layers train: "all" frozen, "none" frozen, or the top `n` left trainable. */
export function applyFreeze(layers: tf.layers.Layer[], freeze: 'all' | 'none' | number): void {
  const trainableFrom =
    freeze === 'all' ? layers.length : freeze === 'none' ? 0 : Math.max(layers.length - freeze, 0);
  layers.forEach((layer, i) => (layer.trainable = i >= trainableFrom));
}

/** A prefix for head layer names that no base layer uses, so a model built on a built-on model stays valid. */
function headPrefix(base: tf.LayersModel): string {
  for (let k = 1; ; k++) {
    const prefix = `head${k}_`;
    if (!base.layers.some((layer) => layer.name.startsWith(prefix))) return prefix;
  }
}

export interface TransferModel {
  /** Base up to the cut, then the new head: one model that takes raw (standardized) features. */
  model: tf.LayersModel;
  /** The same head layers on an input of the extractor's output shape, for training on cached features. */
  head: tf.LayersModel;
  /**
   * The base up to the cut, then the head's pooling (a 4-D cut) or flatten (above 2-D), which have no weights:
   * what feature caching computes once, as small as the features get before any layer that trains.
   */
  extractor: tf.LayersModel;
  /** The base's layers up to the cut, input layers not counted: what `freeze` and `unfreeze` count. */
  baseLayers: tf.layers.Layer[];
}

/** Cuts the base and puts a new classification head on it. Head layers are shared by `model` and `head`. */
export function buildTransferModel(
  base: tf.LayersModel,
  transfer: Transfer & { cutLayer: string },
  classes: OutputLayer,
  seeds: SeedSequence,
): TransferModel {
  const cut = base.getLayer(transfer.cutLayer).output as tf.SymbolicTensor;
  const prefix = headPrefix(base);
  const reduce =
    cut.shape.length === 4
      ? tf.layers.globalAveragePooling2d({ name: `${prefix}pool` })
      : cut.shape.length > 2
        ? tf.layers.flatten({ name: `${prefix}flatten` })
        : null;
  const features = reduce ? (reduce.apply(cut) as tf.SymbolicTensor) : cut;
  const extractor = tf.model({ inputs: base.inputs, outputs: features, name: 'extractor' });
  const layers: tf.layers.Layer[] = [];
  transfer.head.hiddenUnits.forEach((units, i) => {
    layers.push(dense(units, 'relu', `${prefix}dense${i + 1}`, seeds));
    if (transfer.head.dropout > 0)
      layers.push(dropout(transfer.head.dropout, `${prefix}dropout${i + 1}`, seeds));
  });
  const { units, activation } = outputOf(classes);
  layers.push(dense(units, activation, `${prefix}output`, seeds));
  const applyHead = (input: tf.SymbolicTensor) =>
    layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  const headInput = tf.input({ shape: features.shape.slice(1), name: `${prefix}features_input` });
  const head = tf.model({ inputs: headInput, outputs: applyHead(headInput), name: `${prefix}model` });
  const model = tf.model({ inputs: base.inputs, outputs: applyHead(features), name: 'finetuned_transfer' });
  const baseLayers = extractor.layers.filter(
    (layer) => layer.getClassName() !== 'InputLayer' && layer !== reduce,
  );
  applyFreeze(baseLayers, transfer.freeze);
  return { model, head, extractor, baseLayers };
}

function leafLayers(layer: tf.layers.Layer, into: Set<tf.layers.Layer>): void {
  const nested = (layer as Partial<tf.LayersModel>).layers;
  if (nested) nested.forEach((inner) => leafLayers(inner, into));
  else into.add(layer);
}

/**
 * The variables of models that may share layers, layer by layer (nested models walked in order), each once.
 * Unlike `model.weights`, which lists trainable weights first, the order does not change when layers are frozen
 * or unfrozen, so a checkpoint taken in one phase restores in another.
 */
export function modelVariables(...models: Array<tf.LayersModel | undefined>): tf.LayerVariable[] {
  const layers = new Set<tf.layers.Layer>();
  for (const model of models) model?.layers.forEach((layer) => leafLayers(layer, layers));
  return [...new Set([...layers].flatMap((layer) => layer.weights))];
}

/**
 * Releases the weights of models that share layers (a base, the model cut from it, a head trained on its
 * features). Each weight is disposed once, however many models hold it.
 */
export function disposeModels(...models: Array<tf.LayersModel | undefined>): void {
  modelVariables(...models).forEach((weight) => weight.dispose());
}

interface DropoutInternals {
  seed?: number;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  getConfig(): tf.serialization.ConfigDict;
}

/** Training steps the Dropout layers of a model have taken, saved with checkpoints so masks continue on resume. */
export interface DropoutSteps {
  value: number;
}

/**
 * TF.js's Dropout with a seed draws the same mask on every call, so a seeded model would drop the same units in
 * every batch. This gives each Dropout layer of `model` a new seed per training call, derived from the job seed
 * and a step counter shared by the layers, so training stays reproducible (and resumable) and the masks vary.
 * The saved config keeps the layer's original seed.
 */
export function seedDropoutPerStep(
  model: tf.LayersModel,
  seeds: SeedSequence,
  steps: DropoutSteps = { value: 0 },
): DropoutSteps {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dropout') continue;
    const dropout = layer as unknown as DropoutInternals;
    const savedSeed = dropout.seed;
    const call = dropout.call.bind(dropout);
    const getConfig = dropout.getConfig.bind(dropout);
    const base = seeds.take();
    dropout.call = (inputs, kwargs) => {
      if (kwargs.training === true) dropout.seed = (base + steps.value++) % 2 ** 31;
      return call(inputs, kwargs);
    };
    dropout.getConfig = () => ({ ...getConfig(), seed: savedSeed ?? null });
  }
  return steps;
}
