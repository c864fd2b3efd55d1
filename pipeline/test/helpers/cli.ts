/** The `stocksync` CLI run as a user runs it: a child process in the project root. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/config/project-root.ts';

/** What a finished `stocksync` run printed, and its exit code (null when a signal ended it). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `stocksync <args>` with the test's environment and resolves when it exits. Its standard
 * error (progress) is also copied to the test's when STOCKSYNC_TEST_CHILD_OUTPUT is set.
 */
export function runStocksync(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'pipeline', 'bin', 'stocksync.js'), ...args], {
      cwd: projectRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (process.env.STOCKSYNC_TEST_CHILD_OUTPUT) process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
