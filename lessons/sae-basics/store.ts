/**
 * The frontier store of the SAE lessons' pages (4-6): the learner's finished runs in localStorage
 * under one key, so each lesson's frontier shows the runs of the others. Browser only (panel.ts).
 */
import type { FrontierPoint, FrontierStore } from './toy';

const KEY = 'gensparse.sae-frontier.v1';

/** A store on localStorage; without storage (private mode, blocked) it keeps the runs of this page only. */
export function browserFrontierStore(): FrontierStore {
  let memory: FrontierPoint[] = [];
  return {
    load() {
      try {
        const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as FrontierPoint[];
        if (Array.isArray(raw))
          return raw.filter((p) => Number.isFinite(p.l0) && p.fvu > 0 && typeof p.architecture === 'string');
      } catch {
        // unreadable: fall back to this page's runs
      }
      return memory;
    },
    save(points) {
      memory = points;
      try {
        localStorage.setItem(KEY, JSON.stringify(points));
      } catch {
        // storage off: this page still shows its runs
      }
    },
  };
}
