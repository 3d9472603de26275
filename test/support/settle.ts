/** Promise helpers for "not yet, then settled" assertions, shared by the tests that hold work by hand. */

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Settles a promise into a value to assert on later, so an early rejection is never unhandled. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * A promise plus whether it has settled yet, read after the microtasks ran. `promise` is the
 * original, to await as usual; its rejection is already handled.
 */
export function track<T>(promise: Promise<T>): {
  readonly promise: Promise<T>;
  readonly result: Promise<Settled<T>>;
  settled(): boolean;
} {
  let done = false;
  const result = settle(promise).finally(() => {
    done = true;
  });
  return { promise, result, settled: () => done };
}
