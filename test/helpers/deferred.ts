/** A loader whose result the test settles: counts its calls, `started` resolves at the first. */
export function deferred<T>(): { loader: () => Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void; calls: () => number; started: Promise<void> } {
  let n = 0;
  let res!: (v: T) => void;
  let rej!: (e: unknown) => void;
  let onStart!: () => void;
  const started = new Promise<void>((r) => (onStart = r));
  return {
    loader: () => {
      n++;
      onStart();
      return new Promise<T>((a, b) => {
        res = a;
        rej = b;
      });
    },
    resolve: (v) => res(v),
    reject: (e) => rej(e),
    calls: () => n,
    started,
  };
}
