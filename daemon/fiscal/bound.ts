/**
 * The bound on a POS request (docs/API.md §8): the answer comes within `ms` whatever the device does.
 * The work itself is not cancelled: it keeps its key's lock until it ends (a retry meanwhile answers
 * REQUEST_IN_PROGRESS), and its outcome is stored under the key, so the POS finds it by key.
 */

/** `work`, or `timeout()` thrown once `ms` have passed first. */
export function withBound<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  // The work may fail after the bound answered; that failure is already stored, never unhandled.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}
