/**
 * Narration directives: {{try ...}} renders a button whose body parses against the lesson's
 * experiment settings, {{figure name}} a slot for a figure the experiment declares; every
 * lesson with an experiment.ts is checked, so a typo in a narration fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverLessons } from '../../src/server/lessons';
import { narrationDirectives, renderNarration } from '../../src/server/markdown';
import { CURVES_FIGURE, type Experiment } from '../../src/lesson/experiment';
import { parseAssignments } from '../../src/lesson/settings';

test('{{try}} renders a disabled button with its settings, {{figure}} a slot', () => {
  const r = renderNarration('## A\n\nText {{try k=8 tied=false}} more.\n\n{{figure samples}}\n');
  expect(r.steps[0].html).toContain(
    '<button type="button" class="try-it" data-try="k=8 tied=false" disabled>Try it: k=8, tied=false</button>',
  );
  expect(r.steps[0].html).toContain('<div class="figure-slot" data-figure="samples"></div>');
  expect(narrationDirectives('{{try a=1}} x {{try b=2 c=3}}\n{{figure curves}}\n')).toEqual({
    tries: ['a=1', 'b=2 c=3'],
    figures: ['curves'],
  });
});

const withExperiment = discoverLessons().filter((l) => fs.existsSync(path.join(l.dir, 'experiment.ts')));

test.each(withExperiment.map((l) => [l.id, l.dir]))('%s: every Try-it parses and every figure exists', (_id, dir) => {
  const experiment = (require(path.join(dir, 'experiment.ts')) as { default: Experiment }).default;
  const md = fs.readFileSync(path.join(dir, 'narration.md'), 'utf8');
  const { tries, figures } = narrationDirectives(md);
  for (const t of tries) {
    const values = parseAssignments(experiment.settings, t);
    expect(Object.keys(values).length).toBeGreaterThan(0);
  }
  for (const f of figures) expect([CURVES_FIGURE, ...Object.keys(experiment.figures)]).toContain(f);
});
