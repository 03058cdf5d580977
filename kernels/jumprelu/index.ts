/** JumpReLU and its step function with straight-through gradients (see reference.ts). */
export { jumpReluReference, jumpReluStepReference } from './reference';
export { jumpReluReference as jumpRelu, jumpReluStepReference as jumpReluStep } from './reference';
