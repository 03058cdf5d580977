/**
 * The README is a short overview and docs/ holds the rest: the README stays under 300 lines, links
 * every docs page, and every relative link of README.md and docs/*.md lands on a file that exists
 * (and on a heading of it, for a `#anchor`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, docFiles, headingAnchors, relativeLinks } from './markdown';

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

test('the README is under 300 lines', () => {
  expect(read('README.md').split('\n').length).toBeLessThan(300);
});

test('the README links every docs page', () => {
  const linked = new Set(relativeLinks(read('README.md')).map((l) => l.target.split('#')[0]));
  const pages = docFiles().filter((f) => f !== 'README.md');
  expect(pages.length).toBeGreaterThanOrEqual(6);
  expect(pages.filter((f) => !linked.has(f))).toEqual([]);
});

test('every relative link of README.md and docs/*.md points at an existing file and heading', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const file of docFiles()) {
    for (const { line, target } of relativeLinks(read(file))) {
      const [to, anchor] = target.split('#');
      const resolved = to === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), to));
      checked++;
      if (!fs.existsSync(path.join(ROOT, resolved))) {
        problems.push(`${file}:${line}: ${target} (no file ${resolved})`);
      } else if (anchor !== undefined && resolved.endsWith('.md') && !headingAnchors(read(resolved)).has(anchor)) {
        problems.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  expect(checked).toBeGreaterThan(20);
  expect(problems).toEqual([]);
});

test("the anchors are GitHub's: punctuation dropped, spaces to dashes, repeats numbered", () => {
  const md =
    '# Gaussian VAE (`src/vae`)\n```\n# not a heading\n```\n## Against PyTorch, and 1 thread\n## Data\n## Data\n';
  expect([...headingAnchors(md)]).toEqual(['gaussian-vae-srcvae', 'against-pytorch-and-1-thread', 'data', 'data-1']);
  expect(relativeLinks('[a](b.md#c) [`x`](https://e.org) `[d](e.md)`\n```\n[f](g.md)\n```\n')).toEqual([
    { line: 1, target: 'b.md#c' },
  ]);
});
