/** The options that describe a job (`jobs create`), shared with `sweeps create`, which leaves some out. */
import { Option, type Command } from 'commander';
import type { JobFlags } from './job-request.js';
import { integer, integers, keyValue, number } from './option-parsers.js';

/** Fresh options each time: commander keeps per-command state in them. */
function jobOptions(): Option[] {
  return [
    new Option('--dataset <id>', 'the training dataset'),
    new Option('--name <name>', "the job's name"),
    new Option('--base-model <id>', 'transfer from this model (an id or an alias)'),
    new Option('--architecture <type>', 'train from scratch (default: mlp)').choices(['mlp', 'cnn']),
    new Option(
      '--hidden-units <n,...>',
      'dense layers: of the MLP, or of the head on a base model',
    ).argParser(integers),
    new Option('--dropout <rate>', 'dropout of the MLP, CNN or head').argParser(number),
    new Option('--input-shape <h,w,c>', 'CNN: the input shape').argParser(integers),
    new Option('--filters <n,...>', 'CNN: filters per conv block').argParser(integers),
    new Option('--kernel-size <n>', 'CNN: the kernel size').argParser(integer),
    new Option('--dense-units <n>', "CNN: the dense layer's units").argParser(integer),
    new Option('--cut-layer <name>', 'base model: the layer to cut at'),
    new Option('--freeze <all|none|n>', 'base model: all, none, or the number of top layers left trainable'),
    new Option('--task <task>', 'classification (default) or regression (a numeric label)').choices([
      'classification',
      'regression',
    ]),
    new Option('--loss <loss>', 'regression: mse (default) or huber').choices(['mse', 'huber']),
    new Option('--epochs <n>', 'epochs (default: chosen from the dataset, with early stopping)').argParser(
      integer,
    ),
    new Option('--batch-size <n>', 'batch size (default: chosen from the dataset)').argParser(integer),
    new Option('--learning-rate <rate>', "Adam's learning rate (default: chosen for the job)").argParser(
      number,
    ),
    new Option('--fine-tune-epochs <n>', 'base model: epochs of fine-tuning after the head').argParser(
      integer,
    ),
    new Option('--early-stopping <patience>', 'stop after this many epochs without improvement').argParser(
      integer,
    ),
    new Option('--validation-split <fraction>', 'hold-out fraction, 0 to 0.5 (default 0.2)').argParser(
      number,
    ),
    new Option('--validation-dataset <id>', 'validate on this dataset instead'),
    new Option('--class-weight <weights>', 'weigh classes by their size').choices(['balanced']),
    new Option('--seed <n>', 'seed for reproducible runs').argParser(integer),
    new Option('--metadata <key=value>', 'kept with the job (repeatable)').argParser(keyValue),
  ];
}

/** Adds the job's options to `command`, but those named in `leaveOut`. */
export function addJobOptions(command: Command, leaveOut: ReadonlyArray<keyof JobFlags> = []): Command {
  for (const option of jobOptions())
    if (!leaveOut.includes(option.attributeName() as keyof JobFlags)) command.addOption(option);
  return command;
}
