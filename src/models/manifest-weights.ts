/** One weight as the manifest declares it. */
export interface WeightSpec {
  name: string;
  shape: number[];
}

/** More manifest weights than this that could be one layer's weight: the graph check leaves it to TF.js. */
const MAX_CANDIDATES = 8;

const tokens = (name: string) => name.split('/');
const tail = (parts: string[]) => parts.slice(-2).join('/');

/**
 * A manifest's weights, found the way TF.js's `loadWeights` matches them to a layer's variables: by the
 * variable's name (`<layer>/<weight>`, under the scope of any model it was built inside, as in
 * `seq/dense/kernel`), or by that name with its next-to-last part removed (`lstm/lstm_cell/kernel` sets
 * `lstm/kernel`). A manifest in Keras 3's layout (`dense/0`) is matched by position, which is not checked here.
 */
export class ManifestWeights {
  private readonly exact = new Map<string, number[]>();
  /** Manifest weights by the last two parts of each name TF.js may read them as. */
  private readonly byTail = new Map<string, Array<[string, string, number[]]>>();
  readonly byPosition: boolean;

  constructor(manifest: WeightSpec[]) {
    const last = tokens(manifest[0]?.name ?? '').at(-1) ?? '';
    this.byPosition = manifest.length > 0 && !Number.isNaN(Number.parseInt(last, 10));
    for (const { name, shape } of manifest) {
      this.exact.set(name, shape);
      const parts = tokens(name);
      const readAs = [parts];
      if (parts.length >= 3) readAs.push([...parts.slice(0, -2), parts.at(-1)!]);
      for (const read of readAs) {
        const key = tail(read);
        if (!this.byTail.has(key)) this.byTail.set(key, []);
        this.byTail.get(key)!.push([read.join('/'), name, shape]);
      }
    }
  }

  /**
   * The manifest weight that sets `<layer>/<weight>`: its name and shape; undefined when there is none;
   * 'unknown' when the manifest is laid out by position or several of its weights could be the one.
   */
  find(layer: string, weight: string): { name: string; shape: number[] } | undefined | 'unknown' {
    if (this.byPosition) return 'unknown';
    const wanted = `${layer}/${weight}`;
    const shape = this.exact.get(wanted);
    if (shape) return { name: wanted, shape };
    const near = this.byTail.get(tail(tokens(wanted))) ?? [];
    if (near.length > MAX_CANDIDATES) return 'unknown';
    const found = near.filter(([readAs]) => readAs === wanted || readAs.endsWith(`/${wanted}`));
    if (found.length > 1) return 'unknown';
    const [match] = found;
    return match && { name: match[1], shape: match[2] };
  }
}
