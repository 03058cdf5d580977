/**
 * `npm run bench [-- section ...]`: runs every `bench/<section>.bench.ts` (or the named
 * ones) on the active backend and prints one table, then the package beside PyTorch
 * (compare.ts). Each file exports `default async function (): Promise<BenchRow[]>`.
 * An unknown section name is an error that suggests the closest one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { initBackend, describeBackend } from '../src';
import { closestName } from '../src/cli/suggest';
import { formatComparison } from './compare';
import { type BenchRow, formatTable } from '../kernels/bench/harness';

/** The sections named in `wanted` that do not exist, each as "unknown ... did you mean ...". */
export function unknownSections(wanted: string[], sections: string[]): string[] {
  return wanted
    .filter((w) => !sections.includes(w))
    .map((w) => {
      const best = closestName(w, sections);
      const hint = best !== undefined ? `; did you mean '${best}'?` : '';
      return `unknown benchmark section '${w}'${hint} (sections: ${sections.join(', ')})`;
    });
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const sections = files.map((f) => f.replace('.bench.ts', ''));
  const unknown = unknownSections(wanted, sections);
  if (unknown.length > 0) {
    for (const line of unknown) console.error(line);
    return 2;
  }
  const report = await initBackend();
  console.log(describeBackend(report));
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  const rows: BenchRow[] = [];
  for (const file of files) {
    const section = file.replace('.bench.ts', '');
    if (wanted.length > 0 && !wanted.includes(section)) continue;
    console.error(`running ${section} ...`);
    const mod = await import(path.join(__dirname, file));
    const got: BenchRow[] = await mod.default();
    for (const r of got)
      console.error(
        `  ${r.name}: ${r.fastMs.toFixed(1)} ms${r.referenceMs ? ` (reference ${r.referenceMs.toFixed(1)} ms)` : ''}`,
      );
    rows.push(...got);
  }
  console.log(formatTable(rows));
  const comparison = formatComparison(rows);
  if (comparison) console.log(`\n${comparison}`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
