/**
 * Serves the parent of a child process (a training or inference process): `handle` takes its messages; the child
 * exits when the parent goes (it exited or was killed), and leaves signals to the parent, which stops it through
 * the channel (a terminal's Ctrl-C reaches both).
 */
export function serveParent<T>(handle: (message: T) => void): void {
  process.on('message', handle);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
}

/** Runs a child's entry point; one that fails to start exits 1 with the reason. */
export function runEntry(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * The file of a child's entry point `name` beside the module at `url`: `.ts` when running from source under tsx,
 * `.js` once built.
 */
export function childEntry(url: string, name: string): URL {
  return new URL(`./${name}${url.endsWith('.ts') ? '.ts' : '.js'}`, url);
}
