/**
 * Lesson 6's live panel: the page drives the shared experiment (experiment.ts); the frontier
 * keeps the learner's finished runs of lessons 4-6 in the browser (IndexedDB).
 */
import { FrontierRuns } from '../../src/lesson/sae-frontier';
import { browserFrontierStore } from '../../src/server/browser/frontier-store';
import { saeJumpReluExperiment } from './experiment';

export default saeJumpReluExperiment(new FrontierRuns(browserFrontierStore()));
