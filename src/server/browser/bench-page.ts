/**
 * The /bench page: runs `runKernelBenchmarks` from kernels/bench/suite.ts on the backend the
 * learner picks and prints each row as it arrives, with the backend (and WebGPU adapter).
 */
import { initBrowserBackend } from '../../core/backend-browser';
import { runKernelBenchmarks, type BenchRow } from '../../../kernels/bench/suite';

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function ms(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

async function main(): Promise<void> {
  const form = document.getElementById('bench-form') as HTMLFormElement | null;
  const select = document.getElementById('bench-backend') as HTMLSelectElement;
  const size = document.getElementById('bench-size') as HTMLSelectElement;
  const tbody = document.querySelector('#bench-table tbody') as HTMLTableSectionElement;
  const status = document.getElementById('bench-status')!;
  const badge = document.getElementById('backend')!;
  const button = document.getElementById('bench-run') as HTMLButtonElement;
  if (!form) return;
  const q = new URLSearchParams(location.search);
  select.value = q.get('backend') ?? '';
  if (q.get('size') === 'full') size.value = 'full';
  // A backend can only be chosen once per page: switching reloads with ?backend=.
  select.addEventListener('change', () => {
    const next = new URLSearchParams({ size: size.value });
    if (select.value) next.set('backend', select.value);
    location.search = next.toString();
  });
  let report: Awaited<ReturnType<typeof initBrowserBackend>>;
  try {
    report = await initBrowserBackend({ backend: select.value });
    badge.textContent = `backend: ${report.name}${report.details.length ? ` (${report.details.join(', ')})` : ''}`;
    badge.dataset.backend = report.name;
  } catch (e) {
    badge.textContent = `backend failed: ${(e as Error).message}`;
    button.disabled = true;
    return;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    tbody.textContent = '';
    status.textContent = `running (${size.value})…`;
    document.body.dataset.benchState = 'running';
    const t0 = performance.now();
    try {
      const rows = await runKernelBenchmarks({
        size: size.value === 'full' ? 'full' : 'small',
        onRow: (row: BenchRow) => {
          const tr = document.createElement('tr');
          const speedup =
            row.referenceMs !== undefined && row.fastMs > 0 ? `${(row.referenceMs / row.fastMs).toFixed(2)}x` : '';
          tr.append(
            cell(row.section),
            cell(row.name),
            cell(ms(row.referenceMs)),
            cell(ms(row.fastMs)),
            cell(speedup),
            cell(row.note ?? ''),
          );
          tbody.append(tr);
        },
      });
      status.textContent = `${rows.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${report.name}`;
      document.body.dataset.benchState = 'done';
    } catch (e) {
      status.textContent = `failed: ${(e as Error).message}`;
      document.body.dataset.benchState = 'error';
    } finally {
      button.disabled = false;
    }
  });
}

void main();
