import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/config/project-root.ts';
import type { StackPaths } from './paths.ts';

const mavenProject = path.join(projectRoot, 'deploy', 'local', 'maven');

/** Hash of every pom under deploy/local/maven: the jars are re-fetched when any pom changes. */
function pomHash(): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'target') walk(full);
      else if (entry.name === 'pom.xml') hash.update(full.slice(mavenProject.length)).update(fs.readFileSync(full));
    }
  };
  walk(mavenProject);
  return hash.digest('hex');
}

/**
 * Fetches the Java parts of the stack (Kafka, Kafka Connect, Debezium plugins, the Apicurio
 * converter and Apicurio Registry) from Maven Central into `<lib>`, through Maven's own cache
 * (~/.m2), unless the same poms were already fetched. Returns true if Maven ran.
 * @throws Error with Maven's output when the fetch fails.
 */
export function ensureJars(paths: StackPaths, log: (line: string) => void): boolean {
  const stamp = path.join(paths.lib, '.poms.sha256');
  const wanted = pomHash();
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return false;
  log(`fetching jars from Maven Central into ${paths.lib} (cached in ~/.m2)`);
  fs.rmSync(paths.lib, { recursive: true, force: true });
  fs.mkdirSync(paths.lib, { recursive: true });
  try {
    execFileSync('mvn', ['-B', '-q', '-f', path.join(mavenProject, 'pom.xml'), 'package', `-Dstocksync.lib=${paths.lib}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`Maven fetch failed (deploy/local/maven/pom.xml):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  fs.writeFileSync(stamp, wanted);
  return true;
}

/**
 * Installs the Debian packages the stack runs on when any is missing (`deploy/local/install-system.sh`:
 * a JDK, Maven, MariaDB, PostgreSQL, Redis, Prometheus), so `npm test` and `npm run demo` need nothing set up
 * beforehand. Quick when nothing is missing (the script only checks).
 * @throws Error with the script's output when an install fails.
 */
export function ensureSystemPackages(log: (line: string) => void): void {
  try {
    const out = execFileSync('bash', [path.join(projectRoot, 'deploy', 'local', 'install-system.sh')], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    for (const line of out.split('\n').filter(Boolean)) log(line);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`installing system packages failed (deploy/local/install-system.sh):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
