/**
 * The packed package installs into a fresh folder, and a script there imports it and runs
 * a training step: what a user who runs `npm install gensparse` gets.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

test('npm pack -> npm install in a temporary folder -> import and train an SAE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-pack-'));
  // `npm pack` runs the `prepack` build first, so the tarball holds a fresh dist/.
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarball = JSON.parse(packed.slice(packed.indexOf('[')))[0].filename as string;
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  execFileSync(
    'npm',
    ['install', path.join(dir, path.basename(tarball)), '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: dir, stdio: 'pipe' },
  );

  // One training step of a TopK SAE on synthetic superposition data, all from the installed package.
  const script = `
    const g = require('gensparse');
    (async () => {
      const report = await g.initBackend();
      const data = new g.SuperpositionData({ numFeatures: 64, dim: 16, probability: 0.05, seed: 1 });
      const sae = g.createSae({ architecture: 'topk', dIn: 16, nLatents: 32, k: 4, seed: 2 });
      const trainer = new g.SaeTrainer(sae, data, { steps: 2, batchSize: 64, initSamples: 256, lr: 1e-2 });
      const first = await trainer.step();
      const second = await trainer.step();
      const read = async (m) => (typeof m.loss === 'number' ? m.loss : (await m.loss.data())[0]);
      console.log(JSON.stringify({ backend: report.name, losses: [await read(first), await read(second)],
        steps: trainer.stepsTaken, kernels: typeof g.kernels.sparseDecode, exports: Object.keys(g).length }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  fs.writeFileSync(path.join(dir, 'consumer.js'), script);
  const out = JSON.parse(
    execFileSync('node', ['consumer.js'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!,
  );
  expect(out.backend).toBe('wasm');
  expect(out.steps).toBe(2);
  expect(out.losses.every((l: number) => Number.isFinite(l) && l > 0)).toBe(true);
  expect(out.kernels).toBe('function');
  expect(out.exports).toBeGreaterThan(20);
  // The type declarations ship too.
  expect(fs.existsSync(path.join(dir, 'node_modules/gensparse/dist/src/index.d.ts'))).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
}, 300_000);
