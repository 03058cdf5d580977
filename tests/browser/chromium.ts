/** Debian's chromium and its flags, for every test that drives a browser (no other imports). */
import * as fs from 'node:fs';

/** Debian's chromium, which the browser tests drive (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';
/** Chromium's flags for the tests (headless in a container, no background traffic; WebGPU on). */
export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];
/** Why the browser tests cannot run here ('' when they can). */
export const CHROMIUM_MISSING = fs.existsSync(CHROMIUM)
  ? ''
  : `${CHROMIUM} not found (apt-get install chromium; .ci/run does it)`;
