/** Lesson 9's live panel: the page drives the shared experiment (experiment.ts) and adds its widgets. */
export { default } from './experiment';
export { mountWidgets } from './widgets';
