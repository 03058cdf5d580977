/**
 * The character vocabulary of the small language model (browser-safe).
 *
 * Text is first normalised: lower-cased, typographic punctuation mapped to ASCII
 * (em and en dashes to '-', curly quotes to straight ones), tabs and carriage returns
 * to spaces. The vocabulary is then
 *
 *   id 0        the unknown token, shown as '~' (every character not listed below)
 *   id 1        newline
 *   id 2..69    printable ASCII 32..126 except the 26 upper-case letters and '~'
 *
 * 70 tokens in all. `decode(encode(s)) === normalizeText(s)` for any text whose
 * normalised form uses only known characters (the tests check this round trip).
 */
import { InputError } from '../../base/errors';

/** Shown for the unknown token (id 0); '~' itself is therefore not in the vocabulary. */
export const UNKNOWN_CHAR = '~';

const PUNCTUATION: Record<string, string> = {
  '\u2014': '-', // em dash
  '\u2013': '-', // en dash
  '\u2011': '-', // non-breaking hyphen
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\t': ' ',
  '\r': ' ',
};

/** Lower-cases `text` and maps typographic punctuation to ASCII (see the module comment). */
export function normalizeText(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase()) out += PUNCTUATION[ch] ?? ch;
  return out;
}

/** A fixed character vocabulary: `encode` text to ids and `decode` ids back to text. */
export class CharVocab {
  /** The characters by id (id 0 is the unknown token, shown as `UNKNOWN_CHAR`). */
  readonly chars: string[];
  private readonly ids = new Map<string, number>();

  constructor() {
    const chars = [UNKNOWN_CHAR, '\n'];
    for (let c = 32; c <= 126; c++) {
      const ch = String.fromCharCode(c);
      if ((ch >= 'A' && ch <= 'Z') || ch === UNKNOWN_CHAR) continue;
      chars.push(ch);
    }
    this.chars = chars;
    chars.forEach((ch, i) => {
      if (i > 0) this.ids.set(ch, i);
    });
  }

  /** Number of tokens (70). */
  get size(): number {
    return this.chars.length;
  }

  /** Normalises `text` and maps each character to its id (unknown characters to 0). */
  encode(text: string): Int32Array {
    const lower = text.toLowerCase();
    const out = new Int32Array(lower.length);
    let n = 0;
    for (const ch of lower) out[n++] = this.ids.get(PUNCTUATION[ch] ?? ch) ?? 0;
    return n === out.length ? out : out.slice(0, n);
  }

  /** Maps ids back to characters; throws on an id outside [0, size). */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const ch = this.chars[ids[i]];
      if (ch === undefined) throw new InputError('ids', `id ${ids[i]} at index ${i} is outside [0, ${this.size})`);
      out += ch;
    }
    return out;
  }
}
