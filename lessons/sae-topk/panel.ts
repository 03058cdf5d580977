/**
 * Lesson 5's live panel: the page drives the shared experiment (experiment.ts); the frontier
 * keeps the learner's finished runs of lessons 4-6 in localStorage.
 */
import { browserFrontierStore } from '../sae-basics/store';
import { setFrontierStore } from '../sae-basics/toy';

setFrontierStore(browserFrontierStore());
export { default } from './experiment';
