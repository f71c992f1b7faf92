import { runEntry, serveParent } from '../child-process.js';
import type { BackendName } from '../config.js';
import { selectBackend } from '../tf/backend.js';
import { defaultCutLayer } from '../training/model.js';
import {
  buildModel,
  isGraphModel,
  isMemoryFault,
  ModelBuildError,
  UnsupportedModel,
  type BuiltModel,
  type LoadedModel,
} from './model-build.js';
import type { FromProbe, ProbeOutcome, ProbeRequest, RefusalCode } from './model-probe-run.js';
import { describeLayers } from './model-store.js';

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
const refused = (code: RefusalCode, detail: string): ProbeOutcome => ({ type: 'refused', code, detail });

/**
 * The input shape of a model the service can serve: single input, single output, every dimension but the batch
 * known (a GraphModel writes an unknown one as -1).
 */
function inputShape(model: LoadedModel): number[] {
  if (model.inputs.length !== 1)
    throw new UnsupportedModel(
      `the model has ${model.inputs.length} inputs; only single-input models are supported`,
    );
  if (model.outputs.length !== 1)
    throw new UnsupportedModel(
      `the model has ${model.outputs.length} outputs; only single-output models are supported`,
    );
  const declared: Array<number | null> | undefined = model.inputs[0]!.shape;
  if (declared === undefined)
    throw new UnsupportedModel("the model's input has no declared shape (its signature gives none)");
  const shape = declared.slice(1);
  if (shape.some((d) => d === null || d < 0))
    throw new UnsupportedModel(
      `the model's input shape [${shape.map((d) => (d === null || d < 0 ? '?' : d)).join(', ')}] has unknown dimensions`,
    );
  return shape as number[];
}

/** Why building failed, as the refusal the API answers with. */
function buildRefusal(error: unknown): ProbeOutcome {
  if (error instanceof UnsupportedModel) return refused('unsupported_model', error.message);
  if (isMemoryFault(error))
    return refused(
      'model_load_memory_exceeded',
      `loading the model could not allocate memory: ${reason(error)}`,
    );
  if (error instanceof ModelBuildError && error.stage === 'predict')
    return refused('invalid_model', `the model cannot predict: ${reason(error)}`);
  return refused('invalid_model', `TF.js cannot load this model: ${reason(error)}`);
}

/** Loads the model and predicts one instance of zeros with it: what the API needs to know before it stores it. */
async function probe(request: ProbeRequest): Promise<ProbeOutcome> {
  let built: BuiltModel;
  try {
    built = await buildModel(request, inputShape);
  } catch (error) {
    return buildRefusal(error);
  }
  const { model, scores, outputShape } = built;
  if (!scores.every(Number.isFinite))
    return refused(
      'non_finite_output',
      "on an input of zeros the model's outputs are not all finite numbers",
    );
  // A GraphModel is one frozen whole: no layers to show, none to cut at.
  const graph = isGraphModel(model);
  return {
    type: 'report',
    inputShape: inputShape(model),
    outputShape: graph ? [null, ...outputShape.slice(1)] : model.outputs[0]!.shape,
    layers: graph ? [] : describeLayers(model),
    defaultCutLayer: graph ? null : defaultCutLayer(model),
  };
}

/**
 * A throwaway process that proves an uploaded model loads and predicts. It says when its backend is up, handles
 * one request and exits; the API bounds its time and memory and kills it past either, so nothing TF.js built for
 * the model outlives it. A backend that fails to start exits 1 without answering: the API tells that apart from
 * a model that broke the process by the 'ready' it never got.
 */
async function main() {
  const ready = selectBackend(process.argv[2] as BackendName);
  const send = (message: FromProbe, then: () => void = () => {}) => process.send?.(message, then);
  serveParent((request: ProbeRequest) => {
    void ready.then(
      async () => {
        const answer = await probe(request).catch((error: unknown) =>
          refused('invalid_model', `TF.js cannot load this model: ${reason(error)}`),
        );
        const peakBytes = process.resourceUsage().maxRSS * 1024;
        send({ ...answer, peakBytes }, () => process.exit(0));
      },
      // The start-up failure is reported (and the process ended) by runEntry.
      () => undefined,
    );
  });
  await ready;
  send({ type: 'ready' });
}

runEntry(main);
