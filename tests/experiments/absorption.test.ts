import { ABSORPTION_ARCHITECTURES, absorption } from '../../experiments/absorption';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('absorption --quick: rates, fractions and F1 in [0, 1] for every architecture and k; L0 within [0, n]', async () => {
  const { report } = await runQuick(absorption);
  const toyKs = numbersAt(report, 'toy.ks');
  const charKs = numbersAt(report, 'char.ks');
  const [toyN] = numbersAt(report, 'toy.nLatents');
  for (const arch of ABSORPTION_ARCHITECTURES) {
    for (const name of ['rate', 'f1']) {
      const v = (report.numbers.toy as Record<string, Record<string, number[]>>)[name][arch];
      expect(v).toHaveLength(toyKs.length);
      expectFractions(v);
    }
    for (const l0 of (report.numbers.toy as Record<string, Record<string, number[]>>).l0[arch]) {
      expect(l0).toBeGreaterThanOrEqual(0);
      expect(l0).toBeLessThanOrEqual(toyN);
    }
    for (const name of ['rate', 'fraction']) {
      const v = (report.numbers.char as Record<string, Record<string, number[]>>)[name][arch];
      expect(v).toHaveLength(charKs.length);
      expectFractions(v);
    }
  }
  expectFractions(numbersAt(report, 'char.probeTestAccuracy'));
}, 300_000);
