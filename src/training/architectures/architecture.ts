import type * as tf from '@tensorflow/tfjs';
import type { Static, TObject, TProperties } from 'typebox';
import type { CostLayer, CostQuantity, DataShape } from '../../jobs/cost-layers.js';
import type { SeedSequence } from '../model.js';

/**
 * One architecture a model can be trained from scratch with: its request fields, the defaults that resolve
 * them into the job spec, its checks, and the layers it builds and what they cost. `Spec` is what the resolved
 * job spec holds (and GET /v1/jobs/:id shows) as `architecture`.
 */
export interface ArchitectureDefinition<
  Type extends string = string,
  Fields extends TProperties = TProperties,
  Spec extends { type: Type } = { type: Type },
> {
  /** The request's `architecture.type`, and the spec's. */
  readonly type: Type;
  /** One sentence for the docs: the request schema's variant for this type carries it. */
  readonly description: string;
  /**
   * Its request fields, each an optional TypeBox schema. Another architecture may declare a field of the same
   * name only with the same schema (`dropout`); sent with another type, a field is a 400 naming it.
   */
  readonly fields: Fields;
  /** A hint for a field of another architecture sent with this type, e.g. cnn's "a cnn has 'denseUnits'". */
  readonly hints?: Readonly<Record<string, string>>;
  /** The spec's architecture: the request's fields with every default filled in. */
  resolve(request: Static<TObject<Fields>>): Spec;
  /** The request's own consistency beyond its schema: a 400 `invalid_job` naming the field. */
  checkRequest(request: Static<TObject<Fields>>): void;
  /** The spec against the dataset's row shape, before the job is queued: a 422 naming the field. */
  checkFeatures(spec: Spec, featureShape: number[]): void;
  /** The shape of one row as the model's input takes it. */
  inputShape(spec: Spec, featureShape: number[]): number[];
  /** The layers {@link build} makes, in order, for the cost estimate; the classifier after them is not its own. */
  costLayers(spec: Spec, data: DataShape): CostLayer[];
  /** Its request fields (names, not pointers) that bring `quantity` down when a job is over its budget. */
  lowers(quantity: CostQuantity): string[];
  /** Its layers on the model's input, up to the features the softmax classifier (added by the caller) takes. */
  build(spec: Spec, input: tf.SymbolicTensor, seeds: SeedSequence): tf.SymbolicTensor;
}

/** Declares an architecture, keeping its type, fields and spec as literal types for the registry. */
export const defineArchitecture = <
  Type extends string,
  Fields extends TProperties,
  Spec extends { type: Type },
>(
  definition: ArchitectureDefinition<Type, Fields, Spec>,
) => definition;
