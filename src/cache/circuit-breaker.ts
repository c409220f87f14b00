/**
 * A circuit breaker for L2: after `failureThreshold` consecutive failures it opens and L2 is
 * skipped (reads go to L1/loader, writes to L1 only) for `breakDurationMs`; then it is half-open:
 * exactly one call goes through as a probe. A successful probe closes it; a failed one opens it
 * again for another `breakDurationMs`.
 */

import { now } from './clock';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /**
   * Consecutive L2 failures (errors or timeouts) that open the circuit.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before a half-open probe is allowed.
   * @default 5000
   */
  breakDurationMs?: number;
}

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: Readonly<Required<CircuitBreakerOptions>> = Object.freeze({
  failureThreshold: 5,
  breakDurationMs: 5000,
});

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #breakMs: number;
  readonly #onChange: (state: CircuitState) => void;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: Required<CircuitBreakerOptions>, onChange: (state: CircuitState) => void = () => {}) {
    this.#threshold = options.failureThreshold;
    this.#breakMs = options.breakDurationMs;
    this.#onChange = onChange;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && now() - this.#openedAt >= this.#breakMs) return 'half-open';
    return this.#state;
  }

  /**
   * Whether a call may go to L2 now. In half-open state only one probe at a time is allowed;
   * the caller must report its outcome with {@link success} or {@link failure}.
   */
  allow(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open') {
      if (now() - this.#openedAt < this.#breakMs) return false;
      this.#set('half-open');
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  failure(): void {
    this.#probing = false;
    if (this.#state === 'half-open') {
      this.#open();
      return;
    }
    if (this.#state === 'closed' && ++this.#failures >= this.#threshold) this.#open();
  }

  #open(): void {
    this.#openedAt = now();
    this.#failures = 0;
    this.#set('open');
  }

  #set(state: CircuitState): void {
    this.#state = state;
    this.#onChange(state);
  }
}
