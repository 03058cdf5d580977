/**
 * The lesson's training, in a Web Worker: the page (panel-kit.ts) only draws, so training never
 * blocks its input or painting. The worker picks the backend (the same rules as the page would),
 * loads the lesson's experiment module, runs it with the run state machine, and posts plain data
 * back: the state, the metric history with the ghosts, and the figures (ChartSpecs and image grids
 * are structured-cloneable).
 *
 * Page -> worker: {id, cmd: 'init', panelUrl, forced, settings} | {id, cmd: 'start' | 'pause' |
 *   'step' | 'clearGhosts'} | {id, cmd: 'reset', settings} | {id, cmd: 'query', name, args} (a page
 *   widget's question, answered by the run's `query` between training steps); each is answered
 *   {type: 'done', id, error?, result?}.
 * Worker -> page: {type: 'backend', report, reason}, {type: 'state', ...}, {type: 'curves', ...},
 *   {type: 'figures', figures}.
 */
import { backendReason, initBrowserBackend } from '../../core/backend-browser';
import { RunController } from '../../lesson/controller';
import type { Experiment } from '../../lesson/experiment';
import type { SettingSpecs, SettingValues } from '../../lesson/settings';
import { charLmAsset, charText, mnistSubset } from './datasets';

/** What the worker posts about the run (see panel-kit's mirror). */
export interface WorkerState {
  type: 'state';
  status: string;
  step: number;
  stepsPerSec: number;
  note: string;
  error: string;
  ghosts: number;
  diagram: unknown[];
}

type Command =
  | { id: number; cmd: 'init'; panelUrl: string; forced: string; settings: Record<string, unknown> }
  | { id: number; cmd: 'reset'; settings: Record<string, unknown> }
  | { id: number; cmd: 'query'; name: string; args: Record<string, unknown> }
  | { id: number; cmd: 'start' | 'pause' | 'step' | 'clearGhosts' };

const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
/** Lets the worker's event loop run (incoming commands) without setTimeout's clamp. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

const post = (msg: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(msg);
let controller: RunController<SettingSpecs> | null = null;

function postState(): void {
  const c = controller;
  if (!c) return;
  const state: WorkerState = {
    type: 'state',
    status: c.status,
    step: c.step,
    stepsPerSec: c.stepsPerSec,
    note: c.note,
    error: c.error,
    ghosts: c.ghosts.length,
    diagram: c.run?.diagram?.() ?? [],
  };
  post(state);
}

// Curves at most every 200 ms; probes (decoder passes) take at most a quarter of the time.
let lastCurves = -Infinity;
let lastProbes = -Infinity;
let probeCost = 0;
async function publish(force: boolean): Promise<void> {
  const c = controller;
  if (!c) return;
  const now = performance.now();
  if (force || now - lastCurves > 200) {
    lastCurves = now;
    post({ type: 'curves', history: c.history.toJSON(), ghosts: c.ghosts });
  }
  if (c.run && (force || now - lastProbes > Math.max(600, 4 * probeCost))) {
    const t0 = performance.now();
    const figures = await c.run.probes(c.history);
    lastProbes = performance.now();
    probeCost = lastProbes - t0;
    post({ type: 'figures', figures });
  }
}

async function handle(msg: Command): Promise<unknown> {
  if (msg.cmd === 'init') {
    const report = await initBrowserBackend({ backend: msg.forced });
    post({ type: 'backend', report, reason: backendReason(report, msg.forced) });
    const experiment = ((await import(msg.panelUrl)) as { default: Experiment<SettingSpecs> }).default;
    controller = new RunController({
      experiment,
      settings: msg.settings as SettingValues<SettingSpecs>,
      data: { mnist: mnistSubset, charLm: charLmAsset, charText },
      // A macrotask between chunks, so the page's commands (Pause) are heard.
      afterChunk: async () => {
        await publish(false);
        await yieldToMessages();
      },
      onChange: postState,
    });
    await controller.reset();
    await publish(true);
    return;
  }
  const c = controller;
  if (!c) throw new Error(`'${msg.cmd}' before 'init'`);
  if (msg.cmd === 'query') {
    if (!c.run?.query) throw new Error(`no model to ask '${msg.name}' (the run is ${c.status})`);
    return c.run.query(msg.name, msg.args);
  }
  if (msg.cmd === 'start') {
    c.start();
    void c.idle().then(() => publish(true));
  } else if (msg.cmd === 'pause') c.pause();
  else if (msg.cmd === 'step') {
    await c.stepOnce();
    await publish(true);
  } else if (msg.cmd === 'reset') {
    await c.reset(msg.settings as SettingValues<SettingSpecs>);
    await publish(true);
  } else if (msg.cmd === 'clearGhosts') {
    c.clearGhosts();
    await publish(true);
  }
}

// Commands run one after another, in the order they came (a query waits for a reset to finish;
// while training runs, 'start' has returned, so a query runs between training steps).
let queue: Promise<void> = Promise.resolve();
self.addEventListener('message', (e: Event) => {
  const msg = (e as MessageEvent<Command>).data;
  queue = queue.then(() =>
    handle(msg).then(
      (result) => post({ type: 'done', id: msg.id, result }),
      (err: unknown) => post({ type: 'done', id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    ),
  );
});
