/** Errors of the HTTP tier. */
import { RingcacheError } from '../errors';

/**
 * `invalidateTags` removed the tags from the Redis tier but one or more purgers failed: the CDN
 * may still serve the old responses until their `s-maxage`. `purgers` names each failed purger;
 * `cause` is the first failure (an `AggregateError` when several failed).
 */
export class HttpPurgeError extends RingcacheError {
  readonly purgers: readonly string[];
  readonly tags: readonly string[];

  constructor(message: string, purgers: readonly string[], tags: readonly string[], cause: unknown) {
    super('ERR_RINGCACHE_PURGE', message, { cause });
    this.purgers = purgers;
    this.tags = tags;
  }
}

/** The handler failed (threw, or answered 500/502/503/504): the loader's error, for fail-safe. */
export class HandlerError extends RingcacheError {
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, cause?: unknown) {
    super('ERR_RINGCACHE_HANDLER', message, { cause });
    this.status = status;
  }
}
