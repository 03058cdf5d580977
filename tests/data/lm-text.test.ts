import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDocuments, splitDocuments, textDataDir } from '../../src/data/lm/text';
import { CharVocab, normalizeText, UNKNOWN_CHAR } from '../../src/data/lm/vocab';

describe('public-domain text', () => {
  const docs = loadDocuments();

  test('reads every Moby-Dick chapter file in book order and every State of the Union address', () => {
    const mobyList = JSON.parse(
      fs.readFileSync(path.join(textDataDir('moby-dick'), 'file_list.json'), 'utf8'),
    ) as string[];
    const addresses = fs.readdirSync(textDataDir('sotu')).filter((f) => f.endsWith('.txt'));
    const moby = docs.filter((d) => d.source === 'moby-dick');
    expect(moby.map((d) => d.name)).toEqual(mobyList);
    expect(docs.filter((d) => d.source === 'sotu')).toHaveLength(addresses.length);
    expect(moby[3].text.startsWith('CHAPTER 1. Loomings.')).toBe(true);
    const total = docs.reduce((n, d) => n + d.text.length, 0);
    expect(total).toBeGreaterThan(11_000_000);
  });

  test('the split holds out every 10th document and nothing else', () => {
    const split = splitDocuments(docs, 10);
    expect(split.heldOutNames).toHaveLength(Math.floor(docs.length / 10));
    expect(split.heldOutNames[0]).toBe(`${docs[9].source}/${docs[9].name}`);
    expect(split.heldOut.startsWith(docs[9].text)).toBe(true);
    expect(split.train.includes(docs[9].text)).toBe(false);
    expect(split.train.length + split.heldOut.length + 4).toBe(docs.reduce((n, d) => n + d.text.length + 2, 0));
  });
});

describe('CharVocab', () => {
  const vocab = new CharVocab();

  test('has 70 tokens: unknown, newline, and lower-case printable ASCII without ~', () => {
    expect(vocab.size).toBe(70);
    expect(vocab.chars[0]).toBe(UNKNOWN_CHAR);
    expect(vocab.chars[1]).toBe('\n');
    expect(new Set(vocab.chars).size).toBe(70);
    for (const ch of vocab.chars.slice(2)) {
      expect(ch.charCodeAt(0)).toBeGreaterThanOrEqual(32);
      expect(ch.charCodeAt(0)).toBeLessThanOrEqual(126);
      expect(ch).toBe(ch.toLowerCase());
    }
  });

  test('decode(encode(text)) is the normalised text (a real chapter)', () => {
    const chapter = loadDocuments(['moby-dick'])[3].text;
    const ids = vocab.encode(chapter);
    expect(ids.length).toBe(chapter.length);
    const norm = normalizeText(chapter);
    expect(norm.includes(UNKNOWN_CHAR)).toBe(false);
    expect(vocab.decode(ids)).toBe(norm);
    expect(Array.from(ids).every((id) => id > 0 && id < vocab.size)).toBe(true);
  });

  test('maps punctuation to ASCII, case away, and unknown characters to id 0', () => {
    expect(vocab.decode(vocab.encode('Call me Ishmael\u2014\u201cyes\u201d, it\u2019s'))).toBe(
      'call me ishmael-"yes", it\'s',
    );
    expect(Array.from(vocab.encode('é~\u05d7'))).toEqual([0, 0, 0]);
    expect(vocab.encode('a\nb')[1]).toBe(1);
    expect(() => vocab.decode([5, 70])).toThrow(/ids: id 70 at index 1/);
  });
});
