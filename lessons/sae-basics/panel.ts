/**
 * Lesson 4's live panel: the page drives the shared experiment (experiment.ts). The frontier's
 * finished runs are kept in the browser (IndexedDB), so lessons 5 and 6 show them too.
 */
import { FrontierRuns } from '../../src/lesson/sae-frontier';
import { browserFrontierStore } from '../../src/server/browser/frontier-store';
import { saeBasicsExperiment } from './experiment';

export default saeBasicsExperiment(new FrontierRuns(browserFrontierStore()));
