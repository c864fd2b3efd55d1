import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json): shipped files are found relative to it. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
