/**
 * The frontier store of the SAE lessons' pages (4-6): the learner's finished runs, kept in the
 * browser under one key, so each lesson's frontier shows the runs of the others. Browser only
 * (panel.ts). IndexedDB rather than localStorage: the experiment trains in a Web Worker, where
 * localStorage does not exist. The store answers `load()` at once from memory; the stored runs
 * join it as soon as IndexedDB has read them (a few milliseconds after the page opens).
 */
import type { FrontierPoint, FrontierStore } from '../../lesson/sae-frontier';

/** Where the runs live: database, object store and key (the browser test reads them here too). */
export const FRONTIER_DB = { name: 'gensparse', store: 'kv', key: 'sae-frontier.v1' } as const;

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(FRONTIER_DB.name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(FRONTIER_DB.store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function valid(raw: unknown): FrontierPoint[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((p) => Number.isFinite(p?.l0) && p.fvu > 0 && typeof p.architecture === 'string');
}

/** A store on IndexedDB; without it (private mode, blocked) it keeps the runs of this page only. */
export function browserFrontierStore(): FrontierStore {
  let memory: FrontierPoint[] = [];
  const db: Promise<IDBDatabase | null> =
    typeof indexedDB === 'undefined' ? Promise.resolve(null) : openDb().catch(() => null);
  void db.then((d) => {
    if (!d) return;
    const request = d.transaction(FRONTIER_DB.store, 'readonly').objectStore(FRONTIER_DB.store).get(FRONTIER_DB.key);
    // Runs finished on this page before the read completed come after the stored ones.
    request.onsuccess = () => {
      memory = [...valid(request.result), ...memory].slice(-200);
    };
  });
  return {
    load() {
      return memory;
    },
    save(points) {
      memory = points;
      void db.then((d) => {
        if (!d) return; // storage off: this page still shows its runs
        d.transaction(FRONTIER_DB.store, 'readwrite').objectStore(FRONTIER_DB.store).put(points, FRONTIER_DB.key);
      });
    },
  };
}
