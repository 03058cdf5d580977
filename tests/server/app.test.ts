/**
 * The lesson site over real HTTP on an ephemeral 127.0.0.1 port: pages, 404s, path
 * traversal (plain, encoded, double-encoded), security and isolation headers, body limits,
 * no stack traces, and a burst of malformed requests that must leave the server up.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverLessons, lessonNarration } from '../../src/server/lessons';
import { isSafePath } from '../../src/server/security';
import { type Running, rawGet, rawSocket, startServer } from './helpers';

const COURSE = [
  ['vae-intro', 'From autoencoders to VAEs'],
  ['vae-reparam', 'The reparameterization trick and the analytic KL'],
  ['vae-training', 'Training a VAE'],
  ['sae-basics', 'Superposition, ReLU + L1 SAEs and the MSE/L0 frontier'],
  ['sae-topk', 'TopK, dead latents, tied initialisation and AuxK'],
  ['sae-jumprelu', 'JumpReLU and straight-through estimators'],
  ['sae-progressive', 'BatchTopK and progressive codes'],
  ['sae-matryoshka', 'Hierarchy, feature absorption and Matryoshka SAEs'],
  ['sae-language-model', 'Reading an SAE trained on a language model'],
  ['sae-transcoders', 'Transcoders: a sparse replacement for an MLP'],
];

let site: Running;
beforeAll(async () => {
  site = await startServer();
});
afterAll(async () => {
  await site.close();
});

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

describe('pages', () => {
  test('the index lists all ten lessons in course order, each marked with its status', async () => {
    const res = await fetch(`${site.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    let last = -1;
    COURSE.forEach(([id, title]) => {
      const at = html.indexOf(`data-lesson="${id}"`);
      expect(at).toBeGreaterThan(last);
      last = at;
      expect(html).toContain(escapeHtml(title));
      const card = html.slice(at - 60, html.indexOf('</li>', at));
      const status = discoverLessons().find((l) => l.id === id)?.status;
      expect(card).toContain(`lesson-card ${status}`);
    });
  });

  test('every lesson folder is discovered and valid (ten, orders 1-10)', () => {
    const warnings: string[] = [];
    const lessons = discoverLessons(undefined, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(lessons.map((l) => [l.id, l.title])).toEqual(COURSE);
    expect(lessons.map((l) => l.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test.each(COURSE.map(([id]) => id))('lesson page %s returns 200 with its steps, math and sources', async (id) => {
    const lesson = discoverLessons().find((l) => l.id === id)!;
    const res = await fetch(`${site.base}/lessons/${id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(escapeHtml(lesson.title));
    if (lesson.status !== 'ready') {
      expect(html).toContain('This lesson is coming');
      return;
    }
    const narration = lessonNarration(lesson);
    expect(narration.steps.length).toBeGreaterThanOrEqual(5);
    for (const [i, step] of narration.steps.entries()) {
      expect(html).toContain(`<section class="step" id="step-${i + 1}">`);
      expect(html).toContain(step.title);
    }
    expect((html.match(/<section class="step"/g) ?? []).length).toBe(narration.steps.length);
    expect(html).toContain('class="katex"'); // math typeset on the server
    expect(html).not.toMatch(/\$\$/); // no raw display math left over
    expect(narration.sources.length).toBeGreaterThanOrEqual(2);
    for (const s of narration.sources) expect(html).toContain(`data-source="${s.file}#${s.name}"`);
    expect(html).toContain(`data-panel="/assets/build/js/panels/${id}.js"`);
  });

  test('unknown lessons and pages get the 404 page', async () => {
    for (const p of [
      '/lessons/nope',
      '/lessons/VAE-INTRO',
      '/lessons/vae-intro/extra',
      '/nothing/here',
      '/lessons/',
      '/assets/nope.css',
    ]) {
      const res = await fetch(`${site.base}${p}`, { headers: { accept: 'text/html' } });
      expect([p, res.status]).toEqual([p, 404]);
      const html = await res.text();
      expect(html).toContain('404');
      expect(html).toContain('Not found');
    }
  });

  test('the bench page exists exactly when kernels/bench/suite.ts does', async () => {
    const res = await fetch(`${site.base}/bench`);
    expect(res.status).toBe(fs.existsSync(path.join(__dirname, '../../kernels/bench/suite.ts')) ? 200 : 404);
  });
});

describe('path traversal', () => {
  const attempts = [
    '/assets/../package.json',
    '/assets/../../../../etc/passwd',
    '/assets/%2e%2e/package.json',
    '/assets/%2E%2E/%2E%2E/package.json',
    '/assets/%2e%2e%2fpackage.json',
    '/assets/..%2fpackage.json',
    '/assets/..%5cpackage.json',
    '/assets/%252e%252e/package.json',
    '/assets/%252e%252e%252fpackage.json',
    '/assets/%25252e%25252e/package.json',
    '/assets/css/..%2f..%2f..%2fpackage.json',
    '/api/../../package.json',
    '/api/%2e%2e/%2e%2e/src/server/app.ts',
    '/lessons/..%2f..%2fpackage.json',
    '/lessons/%2e%2e',
    '/assets/.%2e/package.json',
    '/assets/build/.stamps.json',
    '/assets/..\\package.json',
    '/assets/%00../package.json',
    '/assets/%c0%ae%c0%ae/package.json',
    '//etc/passwd',
  ];
  test.each(attempts)('%s is refused', async (p) => {
    const res = await rawGet(site.port, p);
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body).not.toContain('"name": "gensparse"');
    expect(res.body).not.toContain('root:');
    expect(res.body).not.toContain('createApp');
  });

  test('the guard itself: safe and unsafe paths', () => {
    expect(isSafePath('/assets/css/site.css')).toBe(true);
    expect(isSafePath('/lessons/vae-intro')).toBe(true);
    expect(isSafePath('/assets/a%20b.css')).toBe(true);
    for (const p of ['/a/../b', '/%2e%2e/x', '/%252e%252e/x', '/a\\b', '/a%00', '/%E0%A4%A', 'x', '/./a'])
      expect([p, isSafePath(p)]).toEqual([p, false]);
  });

  test('intended folders are served', async () => {
    const css = await rawGet(site.port, '/assets/css/site.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });
});

describe('headers and limits', () => {
  test.each(['/', '/lessons/vae-intro', '/assets/css/site.css', '/lessons/missing'])(
    'security and isolation headers on %s',
    async (p) => {
      const res = await fetch(`${site.base}${p}`);
      const h = res.headers;
      const csp = h.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("'wasm-unsafe-eval'");
      expect(csp).not.toMatch(/'unsafe-eval'/);
      expect(csp).toMatch(/script-src[^;]*'self'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp).toMatch(/worker-src[^;]*blob:/);
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(h.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('x-frame-options')).toBe('DENY');
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('x-powered-by')).toBeNull();
    },
  );

  test('request bodies are limited (413) and only GET/HEAD are served (405)', async () => {
    const big = await rawGet(site.port, '/', 'POST', Buffer.alloc(200 * 1024, 120));
    expect(big.status).toBe(413);
    const small = await rawGet(site.port, '/', 'POST', Buffer.from('x=1'));
    expect(small.status).toBe(405);
    const put = await rawGet(site.port, '/lessons/vae-intro', 'PUT');
    expect(put.status).toBe(405);
    const head = await rawGet(site.port, '/lessons/vae-intro', 'HEAD');
    expect(head.status).toBe(200);
  });

  test('an over-long URL is refused', async () => {
    const res = await rawGet(site.port, `/lessons/${'a'.repeat(5000)}`);
    expect([400, 414, 431]).toContain(res.status);
  });

  test('a server error answers 500 without a stack trace', async () => {
    // A lesson whose narration has broken math makes rendering throw.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-lessons-'));
    fs.mkdirSync(path.join(dir, 'broken'));
    fs.writeFileSync(
      path.join(dir, 'broken', 'lesson.json'),
      JSON.stringify({ id: 'broken', title: 'Broken', order: 1, summary: 's', status: 'ready' }),
    );
    fs.writeFileSync(path.join(dir, 'broken', 'narration.md'), '## A step\n\n$$\\frac{1}{$$\n');
    const logged: string[] = [];
    const other = await startServer({ lessonsDir: dir, log: (l) => logged.push(l) });
    try {
      const res = await fetch(`${other.base}/lessons/broken`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(body).toContain('Internal error');
      expect(body).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
      expect(body).not.toContain('node_modules');
      expect(body).not.toContain('KaTeX');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(logged.join('\n')).toContain('math:'); // the reason goes to the server log instead
    } finally {
      await other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('robustness', () => {
  test('a burst of 3000 malformed requests leaves the server up', async () => {
    const junk: (Buffer | string)[] = [
      'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /assets/%2e%2e/%2e%2e/package.json HTTP/1.1\r\nHost: x\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `GET /${'x'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(40000)}\r\n\r\n`,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nabc',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]),
      'GET /lessons/%00 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /lessons/vae-intro?seed=%ZZ&&&=== HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    const total = 3000;
    const concurrency = 64;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        await rawSocket(site.port, junk[i % junk.length], 1500);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const res = await fetch(`${site.base}/lessons/vae-intro`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<section class="step"');
  });
});
