/**
 * Images decoded at once in this process, by every upload together. sharp runs each decode on a thread of
 * libuv's pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which file and DNS work share: keeping
 * decodes to half of it leaves threads for the rest of the API.
 */
export const DECODE_SLOTS = 2;

let free = DECODE_SLOTS;
const waiting: Array<() => void> = [];

/** Runs `work` once a decode slot is free, and frees the slot when it settles. */
export async function withDecodeSlot<T>(work: () => Promise<T>): Promise<T> {
  if (free > 0) free -= 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  }
}
