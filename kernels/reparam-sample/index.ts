/** Reparameterized sampling z = mu + exp(0.5 logVar) * eps with counter-based eps (see reference.ts). */
export { counterNormal, sampleReparamReference } from './reference';
export { sampleReparamReference as sampleReparam } from './reference';
