/** Lesson 10's live panel: the page drives the shared experiment (experiment.ts). */
export { default } from './experiment';
