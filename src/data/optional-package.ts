/**
 * The data packages (MNIST, the text corpora) are optional peer dependencies of the npm package: a
 * user who trains SAEs on their own activations does not download 100 MB of digits and books. The
 * loaders find them here, and say how to install one that is missing.
 */
import * as path from 'node:path';
import { InputError } from '../base/errors';

/** The folder of an installed package (resolved through its package.json, not its code). */
export function optionalPackageDir(pkg: string, usedFor: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    throw new InputError(
      pkg,
      `${usedFor} needs the optional package ${pkg}, which is not installed: run \`npm install ${pkg}\``,
    );
  }
}
