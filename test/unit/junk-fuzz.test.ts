/**
 * Seeded junk-argument fuzz (test/helpers/junk-fuzz.ts): the native engine fails exactly as
 * the TS engine does — same error class and code, or the same result — and never writes an
 * output on a call that throws. The emulated arm64 run (test/arm64/) repeats it on arm64.
 * Runs once, in the `native` project.
 */
import { describe, expect, it } from 'vitest';
import { project } from '../helpers/project';
import { engines } from '../../src/engine';
import { loadNativeBinding, nativeEngine } from '../../src/engine/native';
import { junkFuzz } from '../helpers/junk-fuzz';

describe.runIf(project === 'native')('junk-argument fuzz: native fails as TS does', () => {
  it('20000 seeded calls with junk arguments', () => {
    const counts = junkFuzz(nativeEngine(loadNativeBinding()), engines.js, 20_000);
    expect(counts.calls).toBe(20_000);
  });
});
