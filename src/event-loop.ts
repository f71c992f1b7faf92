/** Resolves on the next turn of the event loop, letting timers and I/O run during long work. */
export const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
