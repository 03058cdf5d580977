/**
 * Lesson 4's live panel: the page drives the shared experiment (experiment.ts). The frontier's
 * finished runs are kept in the browser's localStorage, so lessons 5 and 6 show them too.
 */
import { browserFrontierStore } from './store';
import { setFrontierStore } from './toy';

setFrontierStore(browserFrontierStore());
export { default } from './experiment';
