/** Lesson 8's live panel: the page drives the shared experiment (see experiment.ts). */
export { default } from './experiment';
