import { Type, type Static } from 'typebox';
import type { JobSpec } from '../jobs/job-spec.js';
import type { EpochRow } from './progress.js';

/** The settings a job's request may leave to the service: each is chosen from the data when omitted or "auto". */
export const AUTO_SETTINGS = ['epochs', 'batchSize', 'learningRate'] as const;
export type AutoSetting = (typeof AUTO_SETTINGS)[number];

/** How a model was trained: the settings it ran with and which of them the service chose. */
export const TrainingSettingsSchema = Type.Object(
  {
    epochs: Type.Integer({
      description: 'Epochs the job was set to run (the head phase; fine-tuning adds its own)',
    }),
    epochsRun: Type.Integer({
      description: 'Epochs it ran: fewer than `epochs` when early stopping ended it',
    }),
    batchSize: Type.Integer(),
    learningRate: Type.Number(),
    earlyStopping: Type.Boolean({ description: 'Whether early stopping watched the validation metric' }),
    auto: Type.Array(Type.Enum([...AUTO_SETTINGS, 'earlyStopping']), {
      description: 'The settings the service chose from the data (omitted or "auto" in the request)',
    }),
  },
  { description: 'The settings the model was trained with; absent on models not trained here' },
);
export type TrainingSettings = Static<typeof TrainingSettingsSchema>;

/** What a model records of the settings it was trained with. */
export function trainingSettingsOf(spec: JobSpec, history: EpochRow[]): TrainingSettings {
  const h = spec.hyperparameters;
  return {
    epochs: h.epochs,
    epochsRun: history.filter((row) => row.phase !== 'fine-tune').length,
    batchSize: h.batchSize,
    learningRate: h.learningRate,
    earlyStopping: h.earlyStopping !== null,
    auto: h.auto ?? [],
  };
}
