/**
 * The packed package installs into a fresh folder, and a script there imports it and runs
 * a training step: what a user who runs `npm install gensparse` gets.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../..');

test('npm pack -> npm install in a temporary folder -> import and train one step', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-pack-'));
  // `npm pack` runs the `prepack` build first, so the tarball holds a fresh dist/.
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = JSON.parse(packed.slice(packed.indexOf('[')))[0].filename as string;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', path.join(dir, path.basename(tarball)), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' });

  const script = `
    const tf = require('@tensorflow/tfjs');
    const g = require('gensparse');
    (async () => {
      const report = await g.initBackend();
      const rng = new g.Rng(0);
      const params = new g.Params('consumer');
      params.add('W', g.init.kaimingUniform(rng, [8, 4]));
      const x = rng.randomNormal([16, 8]);
      const adam = new g.Adam(params.trainable(), { lr: 1e-2 });
      const lossFn = () => tf.tidy(() => x.matMul(params.get('W')).square().mean());
      const { loss, grads } = params.gradients(lossFn);
      const before = (await loss.data())[0];
      adam.step(grads);
      const after = (await lossFn().data())[0];
      console.log(JSON.stringify({ backend: report.name, before, after, exports: Object.keys(g).length }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  fs.writeFileSync(path.join(dir, 'consumer.js'), script);
  const out = JSON.parse(execFileSync('node', ['consumer.js'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!);
  expect(out.backend).toBe('wasm');
  expect(out.after).toBeLessThan(out.before);
  expect(out.exports).toBeGreaterThan(20);
  // The type declarations ship too.
  expect(fs.existsSync(path.join(dir, 'node_modules/gensparse/dist/src/index.d.ts'))).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
}, 300_000);
