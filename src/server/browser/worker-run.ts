/**
 * The page's side of the training worker (train-worker.ts): a mirror of the run state machine
 * (status, step, steps/s, notes, ghosts, metric history, model diagram) kept current from the
 * worker's messages, and its commands sent as messages. The page draws from this mirror only.
 */
import type { BackendReport } from '../../core/backend';
import { MetricHistory, type Metrics } from '../../core/train';
import type { DiagramBox, Figure } from '../../lesson/experiment';
import type { Ghost } from '../../lesson/figures';
import type { RunStatus } from '../../lesson/controller';
import type { WorkerState } from './train-worker';

type Reply = { type: 'done'; id: number; error?: string; result?: unknown };
type Message =
  | Reply
  | WorkerState
  | { type: 'backend'; report: BackendReport; reason: string }
  | { type: 'curves'; history: { steps: number[]; values: Metrics[] }; ghosts: Ghost[] }
  | { type: 'figures'; figures: Record<string, Figure> };

export class WorkerRun {
  status: RunStatus = 'loading';
  step = 0;
  stepsPerSec = 0;
  note = '';
  error = '';
  ghostCount = 0;
  ghosts: Ghost[] = [];
  history = new MetricHistory();
  diagram: DiagramBox[] = [];
  backend: BackendReport | null = null;
  backendReason = '';
  onState: () => void = () => {};
  onCurves: () => void = () => {};
  onFigures: (figures: Record<string, Figure>) => void = () => {};
  onBackend: () => void = () => {};

  private readonly worker: Worker;
  private nextId = 1;
  /** Why the worker itself failed (it answers nothing more); '' while it works. */
  private workerFailure = '';
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (e: Error) => void }>();

  constructor(workerUrl: string) {
    this.worker = new Worker(workerUrl, { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<Message>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      // A worker whose script did not load reports an event without a message.
      this.workerFailure = `the training worker failed: ${e.message || `${workerUrl} did not load`}`;
      this.fail(this.workerFailure);
    };
  }

  /** Picks the backend in the worker, loads the experiment there, builds the first run. */
  init(panelUrl: string, forced: string, settings: Record<string, unknown>): Promise<void> {
    return this.call({ cmd: 'init', panelUrl: new URL(panelUrl, location.href).href, forced, settings });
  }

  /** Start was pressed while the run was still loading: it starts as soon as the run is ready. */
  startQueued = false;

  /** Starts training; pressed while the run is loading (the page just opened), it is queued. */
  start(): void {
    if (this.status === 'loading') {
      this.startQueued = true;
      this.onState();
      return;
    }
    if (!(this.status === 'ready' || this.status === 'paused')) return;
    this.status = 'running';
    this.onState();
    void this.call({ cmd: 'start' }).catch((e: Error) => this.fail(e.message));
  }

  /** Shows "pausing" at once; the worker stops after its current step. */
  pause(): void {
    if (this.status !== 'running') return;
    this.status = 'pausing';
    this.onState();
    void this.call({ cmd: 'pause' });
  }

  stepOnce(): Promise<void> {
    return this.call({ cmd: 'step' });
  }

  reset(settings: Record<string, unknown>): Promise<void> {
    this.status = 'loading';
    this.onState();
    return this.call({ cmd: 'reset', settings });
  }

  clearGhosts(): Promise<void> {
    return this.call({ cmd: 'clearGhosts' });
  }

  /** Asks the run in the worker (its `query`): a page widget's question, answered between training steps. */
  query(name: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.ask({ cmd: 'query', name, args });
  }

  private async call(msg: Record<string, unknown>): Promise<void> {
    await this.ask(msg);
  }

  private ask(msg: Record<string, unknown>): Promise<unknown> {
    if (this.workerFailure) return Promise.reject(new Error(this.workerFailure));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** The run failed: every call still waiting (init, above all) fails with the reason. */
  private fail(message: string): void {
    this.error = message;
    this.status = 'error';
    this.startQueued = false;
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    this.onState();
  }

  private receive(m: Message): void {
    if (m.type === 'done') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    } else if (m.type === 'state') {
      // A pause asked for here shows as "pausing" until the worker has stopped.
      this.status = this.status === 'pausing' && m.status === 'running' ? 'pausing' : (m.status as RunStatus);
      this.step = m.step;
      this.stepsPerSec = m.stepsPerSec;
      this.note = m.note;
      this.error = m.error;
      this.ghostCount = m.ghosts;
      this.diagram = m.diagram as DiagramBox[];
      // A Start pressed while loading: now is the time (start() redraws); an error drops it.
      const startNow = this.startQueued && (this.status === 'ready' || this.status === 'paused');
      if (this.status !== 'loading') this.startQueued = false;
      if (startNow) this.start();
      else this.onState();
    } else if (m.type === 'backend') {
      this.backend = m.report;
      this.backendReason = m.reason;
      this.onBackend();
    } else if (m.type === 'curves') {
      const h = new MetricHistory();
      m.history.steps.forEach((s, i) => h.push(s, m.history.values[i]));
      this.history = h;
      this.ghosts = m.ghosts;
      this.onCurves();
    } else if (m.type === 'figures') {
      this.onFigures(m.figures);
    }
  }
}
