/**
 * Lesson 7 (sae-progressive): the quick script run. Every number the narration quotes exists
 * and is finite, and the directions the narration claims hold in the quick run (seed 1). The
 * analyses it reads (fvuAtK, nextActivationRatios, calibrateThresholds, thresholdedMetrics) are
 * tested against naive loops in tests/analysis/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runQuickChecked } from './quick-run';

/** The metrics narration.md quotes. */
const QUOTED = [
  'batchRuleL0',
  'batchRuleFvu',
  'globalThresholdL0',
  'globalThresholdFvu',
  'perLatentL0',
  'perLatentFvu',
  'fixedFvuK2',
  'multiFvuK2',
  'fixedFvuK4',
  'multiFvuK4',
  'fixedFvuK8',
  'multiFvuK8',
  'plainFvuAt4k',
  'multiFvuAt4k',
  'nextRatioMedian',
  'nextRatioAboveTenth',
];

describe('lesson 7 script (quick)', () => {
  let m: Record<string, number>;
  beforeAll(async () => {
    const run = await runQuickChecked('sae-progressive');
    m = run.metrics;
    const outDir = run.outDir;
    expect(fs.existsSync(path.join(outDir, 'frontier.png'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'nextActivation.png'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'batchTopk.png'))).toBe(true);
  }, 400_000);

  test('every quoted number exists and is finite', () => {
    for (const name of QUOTED) expect([name, Number.isFinite(m[name])]).toEqual([name, true]);
  });

  test('BatchTopK: the batch rule keeps k; the global threshold keeps fewer; per-latent thresholds land nearer k', () => {
    expect(m.batchRuleL0).toBeCloseTo(m.k, 6);
    expect(m.globalThresholdL0).toBeLessThan(m.k);
    expect(Math.abs(m.perLatentL0 - m.k)).toBeLessThan(Math.abs(m.globalThresholdL0 - m.k));
    expect(m.perLatentFvu).toBeLessThan(m.globalThresholdFvu);
  });

  test('Multi-TopK costs a little at k and below, and keeps improving past k where plain TopK degrades', () => {
    expect(m.multiOverFixedK2).toBeGreaterThan(1);
    expect(m.multiOverFixedK4).toBeGreaterThan(1);
    expect(m.multiOverFixedK4).toBeLessThan(1.2);
    expect(m.multiFvuAt4k).toBeLessThan(m.multiFvuK4);
    expect(m.plainFvuAt4k).toBeGreaterThan(m.fixedFvuK4);
  });

  test('the (k+1)-th activation is usually clearly positive', () => {
    expect(m.nextRatioMedian).toBeGreaterThan(0.5);
    expect(m.nextRatioAboveTenth).toBeGreaterThan(0.9);
  });
});
