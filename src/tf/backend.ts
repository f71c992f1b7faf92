import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config.js';
import { shareSavedTensors } from './saved-tensors.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

/** The TF.js backend a process runs on, recorded on every job and model. */
export interface BackendInfo {
  /** TF.js backend name: `tensorflow` (native, CPU or GPU), `wasm` or `cpu` (plain JavaScript). */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** The package that provides it. */
  package: string;
  device: 'gpu' | 'cpu';
}

type Concrete = Exclude<BackendName, 'auto'>;

const AUTO_ORDER: Concrete[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const INSTALL_HINTS: Record<Concrete, string> = {
  'tensorflow-gpu':
    'install @tensorflow/tfjs-node-gpu on a Linux x86-64 host with CUDA 11.2 and cuDNN 8.1 (its install step downloads libtensorflow)',
  tensorflow:
    'install @tensorflow/tfjs-node (its install step downloads libtensorflow, so the host needs access to storage.googleapis.com)',
  wasm: 'reinstall the dependencies (npm ci): @tensorflow/tfjs-backend-wasm is a regular dependency',
  cpu: 'reinstall the dependencies (npm ci): @tensorflow/tfjs is a regular dependency',
};

let selected: BackendInfo | undefined;

/** `required`: the backend was asked for by name, so `tensorflow-gpu` must find a GPU, not fall back to the CPU. */
async function activate(kind: Concrete, required = false): Promise<BackendInfo> {
  switch (kind) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = kind === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      // TensorFlow otherwise takes nearly all GPU memory on its first GPU operation, leaving none to the other
      // processes on the same GPU (the API's inference hosts, a worker's training processes). Read by libtensorflow.
      if (kind === 'tensorflow-gpu') process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
      await import(pkg);
      if (!(await tf.setBackend('tensorflow')))
        throw new Error(`${pkg} loaded but its backend did not initialise`);
      const native = tf.backend() as { isUsingGpuDevice?: boolean };
      if (kind === 'tensorflow-gpu' && required && !native.isUsingGpuDevice)
        throw new Error(
          `${pkg} loaded, but TensorFlow found no GPU it can use (is the NVIDIA driver installed, and the GPU given to the container?)`,
        );
      return { name: 'tensorflow', package: pkg, device: native.isUsingGpuDevice ? 'gpu' : 'cpu' };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      registerWasmTrainingKernels();
      return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', device: 'cpu' };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      return { name: 'cpu', package: '@tensorflow/tfjs', device: 'cpu' };
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** The `TFJS_BACKEND` value that selects exactly this backend, so that helper processes and threads match it. */
export function backendName(backend: BackendInfo): Concrete {
  if (backend.name !== 'tensorflow') return backend.name;
  return backend.package === '@tensorflow/tfjs-node-gpu' ? 'tensorflow-gpu' : 'tensorflow';
}

/**
 * Selects the TF.js backend once per process. `auto` takes the first of native GPU, native CPU, wasm and plain JS
 * that loads; an explicitly requested backend that cannot load is an error saying what to install. Whichever it is,
 * the tensors kept for gradients share their data instead of being copied by a kernel (saved-tensors.ts).
 */
export async function selectBackend(
  requested: BackendName,
  onSkip: (kind: Concrete, why: string) => void = () => {},
): Promise<BackendInfo> {
  if (selected) return selected;
  shareSavedTensors();
  if (requested !== 'auto') {
    try {
      selected = await activate(requested, true);
    } catch (error) {
      throw new Error(
        `TFJS_BACKEND=${requested} cannot be used: ${reason(error)}. To use it, ${INSTALL_HINTS[requested]}; ` +
          'or set TFJS_BACKEND=auto to take the best backend that loads.',
        { cause: error },
      );
    }
    return selected;
  }
  for (const kind of AUTO_ORDER) {
    try {
      selected = await activate(kind);
      return selected;
    } catch (error) {
      onSkip(kind, reason(error));
    }
  }
  throw new Error('no TF.js backend could be loaded');
}
