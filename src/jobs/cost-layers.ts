import type { ModelRecord } from '../models/model-store.js';
import { architectureOf, type Architecture } from '../training/architectures/index.js';
import { denseBlocksCost, denseCost } from '../training/architectures/layers.js';
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

/** The budgeted quantities a job's cost is checked on. */
export type CostQuantity = 'params' | 'activationBytes' | 'batchFlops';

export const product = (dims: number[]) => dims.reduce((n, d) => n * d, 1);

/** Dense blocks (with dropout masks when dropout > 0), then the softmax classifier. */
function denseStack(inputs: number, units: number[], dropout: number, classes: number): CostLayer[] {
  const blocks = denseBlocksCost(inputs, units, dropout);
  return [...blocks, denseCost(blocks.at(-1)?.outputs ?? inputs, classes)];
}

/** A model built from scratch: the architecture's layers, then the classifier model.ts puts on them. */
function architectureLayers(architecture: Architecture, data: DataShape): CostLayer[] {
  const layers = architectureOf(architecture.type).costLayers(architecture, data);
  return [...layers, denseCost(layers.at(-1)?.outputs ?? product(data.featureShape), data.classes)];
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
  if (spec.architecture) return architectureLayers(spec.architecture, data);
  return transferLayers(spec, data, base ?? { layers: [], defaultCutLayer: null });
}
