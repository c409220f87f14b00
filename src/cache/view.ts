/**
 * Namespace views and the key layout: how a view's key becomes the one L1/L2 key of the cache.
 */

/** A namespace view: its path, its L1/L2 key prefix and the markers its entries are checked against. */
export interface View {
  /** '' for the root, else `a` or `a:b`: the namespace names, escaped (see below), joined. */
  readonly ns: string;
  /** The namespace names, unescaped. */
  readonly segments: readonly string[];
  /** '' for the root, else `@a@` or `@a:b@`. */
  readonly keyPrefix: string;
  /** Marker names of the root and of every level of `ns` (`n:`, `n:a`, `n:a:b`). */
  readonly markers: readonly string[];
}

/**
 * Key layout (one injective encoding, so no two views alias and no user key reaches the
 * cache's own `__rc:` keys): a root key is stored as given, unless it starts with `@` or
 * `__rc:`, then as `@@key`; a key of namespace `a` → `b` is `@a:b@key`, each namespace name
 * with `%`, `:` and `@` escaped (`%25`, `%3A`, `%40`). Namespace markers are `n:a`, `n:a:b`
 * (escaped the same way) and `n:` for the root.
 */
const NS_LEAD = 64; // '@'

function escapeSegment(name: string): string {
  return name.replace(/[%:@]/g, (c) => (c === '%' ? '%25' : c === ':' ? '%3A' : '%40'));
}

export function viewOf(segments: readonly string[]): View {
  const enc = segments.map(escapeSegment);
  const markers = ['n:'];
  for (let i = 1; i <= enc.length; i++) markers.push(`n:${enc.slice(0, i).join(':')}`);
  const ns = enc.join(':');
  return Object.freeze({ ns, segments: Object.freeze([...segments]), keyPrefix: ns === '' && enc.length === 0 ? '' : `@${ns}@`, markers: Object.freeze(markers) });
}

/** The L1/L2 key of root key `key` (see the layout above). */
export function rootKey(key: string): string {
  const c = key.charCodeAt(0);
  return c === NS_LEAD || (c === 95 /* _ */ && key.startsWith('__rc:')) ? `@@${key}` : key;
}
