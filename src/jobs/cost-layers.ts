import type { ModelRecord } from '../models/model-store.js';
import type { JobSpec } from './job-spec.js';

/** What the estimate needs of a dataset. */
export interface DataShape {
  featureShape: number[];
  classes: number;
  rows: number;
}

/** What the estimate needs of a base model: its stored layer summary and default cut. */
export type BaseSummary = Pick<ModelRecord, 'layers' | 'defaultCutLayer'>;

/** A layer as the estimate sees it: its weights, its output values per row and its forward work per row. */
export interface CostLayer {
  params: number;
  outputs: number;
  flops: number;
  /** Index among the base's layers (input layers not counted); undefined for layers built for the job. */
  baseIndex?: number;
}

export const product = (dims: number[]) => dims.reduce((n, d) => n * d, 1);

function denseLayer(inputs: number, units: number): CostLayer {
  const params = inputs * units + units;
  return { params, outputs: units, flops: 2 * params };
}

/** Dense blocks (with dropout masks when dropout > 0), then the softmax classifier. */
function denseStack(inputs: number, units: number[], dropout: number, classes: number): CostLayer[] {
  const layers: CostLayer[] = [];
  let width = inputs;
  for (const n of units) {
    layers.push(denseLayer(width, n));
    if (dropout > 0) layers.push({ params: 0, outputs: n, flops: n });
    width = n;
  }
  layers.push(denseLayer(width, classes));
  return layers;
}

function mlpLayers(spec: JobSpec & { architecture: { type: 'mlp' } }, data: DataShape): CostLayer[] {
  const inputs = product(data.featureShape);
  const a = spec.architecture;
  const flatten = data.featureShape.length > 1 ? [{ params: 0, outputs: inputs, flops: 0 }] : [];
  return [...flatten, ...denseStack(inputs, a.hiddenUnits, a.dropout, data.classes)];
}

/** Same-padded convolutions, each followed by a 2×2 max pool, as src/training/model.ts builds them. */
function cnnLayers(spec: JobSpec & { architecture: { type: 'cnn' } }, data: DataShape): CostLayer[] {
  const a = spec.architecture;
  let [height, width, channels] = a.inputShape;
  const layers: CostLayer[] = [];
  for (const filters of a.filters) {
    const kernel = a.kernelSize * a.kernelSize * channels * filters;
    layers.push({
      params: kernel + filters,
      outputs: height * width * filters,
      flops: 2 * height * width * kernel,
    });
    height = Math.ceil(height / 2);
    width = Math.ceil(width / 2);
    channels = filters;
    const pooled = height * width * channels;
    layers.push({ params: 0, outputs: pooled, flops: 4 * pooled });
  }
  const features = height * width * channels;
  layers.push({ params: 0, outputs: features, flops: 0 });
  return [...layers, ...denseStack(features, [a.denseUnits], a.dropout, data.classes)];
}

/**
 * The base up to the cut, from its stored layer summary, then the head. A layer's forward work is taken as two
 * operations per weight per output position (exact for Dense and convolutions), or one per output value for a
 * layer without weights.
 */
function transferLayers(spec: JobSpec, data: DataShape, base: BaseSummary): CostLayer[] {
  const transfer = spec.transfer!;
  const cutName = transfer.cutLayer ?? base.defaultCutLayer;
  const cutAt = base.layers.findIndex((layer) => layer.name === cutName);
  const layers: CostLayer[] = [];
  let baseIndex = 0;
  for (const layer of base.layers.slice(0, cutAt + 1)) {
    if (layer.className === 'InputLayer') continue;
    const shape = layer.outputShape.slice(1).map((d) => d ?? 1);
    const outputs = product(shape);
    const positions = product(shape.slice(0, -1));
    const flops = layer.params > 0 ? 2 * layer.params * positions : outputs;
    layers.push({ params: layer.params, outputs, flops, baseIndex: baseIndex++ });
  }
  const cutShape = (base.layers[cutAt]?.outputShape ?? [null, ...data.featureShape])
    .slice(1)
    .map((d) => d ?? 1);
  // Global average pooling for a 4-D cut, a flatten for other shapes above 2-D (see buildTransferModel).
  const features = cutShape.length === 3 ? cutShape[2]! : product(cutShape);
  if (cutShape.length > 1) layers.push({ params: 0, outputs: features, flops: product(cutShape) });
  return [...layers, ...denseStack(features, transfer.head.hiddenUnits, transfer.head.dropout, data.classes)];
}

/** The layers of the model a job trains, in the order a row goes through them. */
export function costLayers(spec: JobSpec, data: DataShape, base?: BaseSummary): CostLayer[] {
  if (spec.architecture?.type === 'mlp') return mlpLayers({ ...spec, architecture: spec.architecture }, data);
  if (spec.architecture?.type === 'cnn') return cnnLayers({ ...spec, architecture: spec.architecture }, data);
  return transferLayers(spec, data, base ?? { layers: [], defaultCutLayer: null });
}
