import type { BaseSummary } from '../../src/jobs/job-cost.js';

type Layer = BaseSummary['layers'][number];

/**
 * The layer summary of MobileNet v2 (width 1.0, 224 px, Keras layer names) as the model store keeps it, built
 * from the architecture's table rather than a download: each inverted residual block is a 1×1 expansion, a 3×3
 * depthwise convolution and a 1×1 projection, each batch-normalized, with ReLU6 after the first two.
 */
export function mobileNetV2Summary(): BaseSummary {
  const layers: Layer[] = [];
  let [size, channels] = [224, 3];
  const add = (name: string, className: string, outChannels: number, params: number) => {
    layers.push({ name, className, outputShape: [null, size, size, outChannels], params });
    channels = outChannels;
  };
  const conv = (name: string, filters: number, kernel: number) => {
    add(name, 'Conv2D', filters, kernel * kernel * channels * filters);
    add(`${name}_BN`, 'BatchNormalization', filters, 4 * filters);
  };
  layers.push({ name: 'input_1', className: 'InputLayer', outputShape: [null, 224, 224, 3], params: 0 });
  size = 112;
  conv('Conv1', 32, 3);
  add('Conv1_relu', 'ReLU', 32, 0);
  // Expansion t, output channels c, repeats n, first stride s.
  const blocks: Array<[number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let block = 0;
  for (const [t, c, n, s] of blocks) {
    for (let i = 0; i < n; i++, block++) {
      const name = block === 0 ? 'expanded_conv' : `block_${block}`;
      const input = channels;
      if (t !== 1) {
        conv(`${name}_expand`, input * t, 1);
        add(`${name}_expand_relu`, 'ReLU', channels, 0);
      }
      if (i === 0 && s === 2) size /= 2;
      add(`${name}_depthwise`, 'DepthwiseConv2D', channels, 9 * channels);
      add(`${name}_depthwise_BN`, 'BatchNormalization', channels, 4 * channels);
      add(`${name}_depthwise_relu`, 'ReLU', channels, 0);
      conv(`${name}_project`, c, 1);
      if (i > 0) add(`${name}_add`, 'Add', channels, 0);
    }
  }
  conv('Conv_1', 1280, 1);
  add('out_relu', 'ReLU', 1280, 0);
  return { layers, defaultCutLayer: 'out_relu' };
}
