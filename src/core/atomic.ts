/**
 * Atomic writes of one file and of a whole folder (Node only).
 *
 * A file: written to a temporary name beside it, flushed (fsync), then renamed over the old
 * one; rename(2) replaces a file atomically, so a reader sees the old or the new file, never half.
 *
 * A folder (a checkpoint: weights + config, which must never mix two saves): POSIX rename
 * cannot replace a non-empty folder (ENOTEMPTY) and Node has no renameat2(RENAME_EXCHANGE),
 * so the folder is staged beside `dir` and swapped in by renames whose every intermediate
 * state is recognisable:
 *
 *   1. write every file into `<dir>.partial-<tag>`, fsync each file and the folder;
 *   2. rename it to `<dir>.new-<tag>`   <- the commit point: from here on the new save wins;
 *   3. rename `dir` (if any) to `<dir>.old-<tag>`;
 *   4. rename `<dir>.new-<tag>` to `dir`;
 *   5. delete `<dir>.old-<tag>`.
 *
 * (`<tag>` is the saving process's pid and a unique suffix.) Killed anywhere, a save leaves
 * either `dir` complete (old or new), or `dir` missing with a complete `.new-<tag>` (killed
 * between 3 and 4). `recoverFolder(dir)`, run by every save and load of `dir`, finishes the
 * swap of a save whose process is gone from the state it finds (a `.new` always rolls
 * forward), deletes its `.old` and `.partial` folders, and leaves a live process's save alone,
 * so a reader never races a running save and killed saves leave no files behind for long.
 *
 * Why not a manifest of checksums committed last: SAELens requires fixed file names
 * (`cfg.json`, `sae_weights.safetensors`), so two saves cannot keep both sets of files in one
 * folder; a manifest could only detect a mixed folder and refuse it, losing the old checkpoint
 * too. Why not a symlink swapped by one rename: copy tools and Windows treat a checkpoint that
 * is a symlink differently from a folder.
 *
 * One writer per folder at a time (two processes saving the same folder at once is not
 * supported); readers may load while a save runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../base/errors';

/** Writes `data` to `file` atomically (temp file + fsync + rename), first removing temp files of killed writes. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  removeStale(dir, prefix, '.', '.tmp');
  const tmp = path.join(dir, `${prefix}${process.pid}.${uniqueSuffix()}.tmp`);
  try {
    writeAndSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `files` (name -> bytes or text) as the folder `dir`, replacing a previous folder as a
 * whole (the steps above). Entries of the previous folder that are not among `files` (a
 * trainer's state, a user's notes) are copied into the new folder, as a file-by-file save
 * would have left them.
 */
export function writeFolderAtomic(dir: string, files: Record<string, Uint8Array | string>): void {
  const target = path.resolve(dir);
  const names = Object.keys(files);
  for (const name of names) {
    if (name !== path.basename(name) || name === '.' || name === '..')
      throw new InputError('files', `'${name}' is not a plain file name`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  recoverFolder(target);
  const kept = (listFolder(target) ?? []).filter((n) => !names.includes(n));
  const tag = `${process.pid}-${uniqueSuffix()}`; // whose save this is: recovery leaves a live process's alone
  const staging = `${target}.partial-${tag}`;
  const committed = `${target}.new-${tag}`;
  try {
    fs.mkdirSync(staging);
    for (const name of names) writeAndSync(path.join(staging, name), files[name]);
    for (const name of kept) fs.cpSync(path.join(target, name), path.join(staging, name), { recursive: true });
    syncDir(staging);
    fs.renameSync(staging, committed); // the commit point
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  finishSwap(target, committed, `${target}.old-${tag}`);
}

/**
 * Brings `dir` to a complete state after an interrupted `writeFolderAtomic` (see the module
 * comment) and removes what killed saves left behind. Only saves whose process is gone (or
 * this process: its saves run synchronously, so none is in progress) are touched; while another
 * live process is between steps 3 and 4, it waits up to `waitMs` for `dir` to reappear.
 */
export function recoverFolder(dir: string, waitMs = 5000): void {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return; // no parent folder: nothing to recover
  }
  const left = { new: [] as string[], old: [] as string[], partial: [] as string[] };
  let liveNew = false;
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(new|old|partial)-(\d+)-[0-9a-z]+-\d+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && processAlive(pid)) {
      liveNew ||= m[1] === 'new';
      continue;
    }
    left[m[1] as 'new' | 'old' | 'partial'].push(path.join(parent, name));
  }
  for (const committed of left.new) finishSwap(target, committed, committed.replace(/\.new-(?=[^.]*$)/, '.old-'));
  for (const old of left.old) {
    if (fs.existsSync(target)) fs.rmSync(old, { recursive: true, force: true });
    else fs.renameSync(old, target); // cannot happen in step order; keep the old save
  }
  for (const partial of left.partial) fs.rmSync(partial, { recursive: true, force: true });
  // Another process is swapping its save in right now: give it the moment it needs.
  if (liveNew && !fs.existsSync(target) && waitMs > 0) {
    const deadline = Date.now() + waitMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!fs.existsSync(target) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
  }
}

/** Steps 3-5: `committed` (complete) becomes `target`; the previous `target` goes to `old`, then is deleted. */
function finishSwap(target: string, committed: string, old: string): void {
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(committed, target);
  syncDir(path.dirname(target));
  fs.rmSync(old, { recursive: true, force: true });
}

/** The entries of a folder, null if it does not exist; an InputError if `dir` is a file. */
function listFolder(dir: string): string[] | null {
  if (!fs.existsSync(dir)) return null;
  if (!fs.statSync(dir).isDirectory()) throw new InputError(dir, 'is a file, expected a checkpoint folder');
  return fs.readdirSync(dir);
}

/**
 * Removes the entries `<prefix><pid><sep><unique><suffix>` of `dir` whose process is gone, or is
 * this one (a save of ours runs synchronously, so none of ours is in progress now).
 */
function removeStale(dir: string, prefix: string, sep: string, suffix: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return; // no folder, nothing left behind
  }
  for (const name of entries) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const match = /^(\d+)(.*)$/.exec(name.slice(prefix.length, name.length - suffix.length));
    if (!match || !/^[0-9a-z-]+$/.test(match[2].slice(sep.length)) || !match[2].startsWith(sep)) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || !processAlive(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

let counter = 0;
function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${counter++}`;
}

function writeAndSync(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync a folder so the renames in it survive a power cut (not possible on Windows: skipped). */
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open or fsync a directory; the renames are still atomic there.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
