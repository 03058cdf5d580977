/** Matryoshka all-prefix loss, block size 1 (see reference.ts and sorted-gap.ts). */
export { matryoshkaAllPrefixLossReference } from './reference';
export { matryoshkaAllPrefixLossSortedGap } from './sorted-gap';
export { matryoshkaAllPrefixLossSortedGap as matryoshkaAllPrefixLoss } from './sorted-gap';
