/**
 * `npm run bench [-- section ...]`: runs every `bench/<section>.bench.ts` (or the named
 * ones) on the active backend and prints one table. Each file exports
 * `default async function (): Promise<BenchRow[]>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { initBackend, describeBackend } from '../src';
import { type BenchRow, formatTable } from './harness';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const report = await initBackend();
  console.log(describeBackend(report));
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
