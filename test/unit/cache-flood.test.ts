/**
 * A flood of distinct keys through one TieredCache (the soak's memory flood, test/soak/flood.ts,
 * at 100 000 keys instead of 10 million): L1 reaches and never exceeds maxEntries (small values)
 * then maxBytes (large values), and every internal table drains. The 10-million-key run with its
 * RSS slope is `npm run soak -- flood` (README "Chaos soak").
 */
import { describe, expect, it } from 'vitest';
import { flood, FLOOD_L1 } from '../soak/flood';
import { notDefaultProject } from '../helpers/project';

describe.skipIf(notDefaultProject)('L1 under a flood of distinct keys', () => {
  it('stays within maxEntries and maxBytes, reaching each, and leaves no tracked state', async () => {
    const r = await flood(100_000);
    expect(r.samples).toHaveLength(100);
    expect(r.boundBreaches).toBe(0);
    expect(r.maxEntriesSeen).toBe(FLOOD_L1.maxEntries);
    expect(r.maxBytesSeen).toBeLessThanOrEqual(FLOOD_L1.maxBytes);
    expect(r.maxBytesSeen).toBeGreaterThan(0.95 * FLOOD_L1.maxBytes);
    // The second half's large values: bytes bind, so fewer entries fit.
    expect(r.samples[99].l1).toBeLessThan(FLOOD_L1.maxEntries);
    expect(r.tracked).toEqual({ inflight: 0, keyEpochs: 0, markers: 0, flights: 0, loads: 0, loadWrites: 0 });
  });
});
