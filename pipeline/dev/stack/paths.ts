import path from 'node:path';
import { projectRoot } from '../../src/config/project-root.ts';

/**
 * Folders of the no-Docker local stack. Everything it writes lives under one home,
 * `STOCKSYNC_HOME` (default `<project>/.stocksync`), so `stack down --purge` can remove it whole.
 */
export interface StackPaths {
  home: string;
  /** Jars fetched by Maven, one folder per component (`kafka`, `connect`, `plugins/*`, `apicurio-registry`). */
  lib: string;
  /** Generated configuration files. */
  conf: string;
  /** Data directories, one per component. */
  data: string;
  /** One log file per component: `<logs>/<component>.log`. */
  logs: string;
  /** One pid file per process the stack started: `<run>/<component>.pid`. */
  run: string;
}

/** Resolves the stack folders from `STOCKSYNC_HOME`. */
export function stackPaths(): StackPaths {
  const home = path.resolve(process.env.STOCKSYNC_HOME ?? path.join(projectRoot, '.stocksync'));
  return {
    home,
    lib: path.join(home, 'lib'),
    conf: path.join(home, 'conf'),
    data: path.join(home, 'data'),
    logs: path.join(home, 'logs'),
    run: path.join(home, 'run'),
  };
}
