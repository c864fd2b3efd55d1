/**
 * Layer rules of stocksync, checked by dependency-cruiser (`npm run lint:layers`).
 *
 * product (pipeline/src) → never the harness (pipeline/dev) or tests (pipeline/test);
 * stages (decode < normalize < merge < serve < channels) → only earlier stages, never the
 * processor or the CLI; adapters (kafka, registry, config, metrics, postgres, decimal) → no stage,
 * no processor, CLI or dead letters; only kafka/client.ts touches kafkajs; a folder with an
 * index.ts is entered through it from outside; no cycles, type-only imports included.
 */
const fs = require('node:fs');
const path = require('node:path');

const SRC = '^pipeline/src/';
const STAGES = ['decode', 'normalize', 'merge', 'serve', 'channels'];
const ADAPTERS = ['kafka', 'registry', 'config', 'metrics', 'postgres', 'decimal'];
const folders = (names) => `${SRC}(${names.join('|')})/`;
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Later stages than each stage, by the pipeline's order. */
const stageOrder = STAGES.slice(0, -1).map((stage, i) => ({
  name: `stage-order-${stage}`,
  comment: `${stage} is an earlier stage than ${STAGES.slice(i + 1).join(', ')}: it never imports them (decode < normalize < merge < serve < channels)`,
  severity: 'error',
  from: { path: `${SRC}${stage}/` },
  to: { path: folders(STAGES.slice(i + 1)) },
}));

/** Every folder under pipeline/src and pipeline/dev that has an index.ts: its front door. */
function frontDoors(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = path.posix.join(dir, entry.name);
    if (fs.existsSync(path.join(__dirname, folder, 'index.ts'))) found.push(folder);
    found.push(...frontDoors(folder));
  }
  return found;
}
const throughIndex = ['pipeline/src', 'pipeline/dev']
  .flatMap((root) => (fs.existsSync(path.join(__dirname, root)) ? frontDoors(root) : []))
  .map((folder) => ({
    name: `through-index-${folder.replace(/^pipeline\//, '').replaceAll('/', '-')}`,
    comment: `${folder} has an index.ts: code outside the folder imports it only through that (tests are exempt)`,
    severity: 'error',
    from: { pathNot: [`^${escapeRegex(folder)}/`, '^pipeline/test/'] },
    to: { path: `^${escapeRegex(folder)}/`, pathNot: `^${escapeRegex(folder)}/index\\.ts$` },
  }));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-not-harness',
      comment: 'The product (pipeline/src) never imports the development harness (pipeline/dev) or tests.',
      severity: 'error',
      from: { path: SRC },
      to: { path: ['^pipeline/dev/', '^pipeline/test/'] },
    },
    {
      name: 'not-tests',
      comment: 'Only tests import tests and their helpers.',
      severity: 'error',
      from: { pathNot: '^pipeline/test/' },
      to: { path: ['^pipeline/test/', '\\.test\\.ts$'] },
    },
    {
      name: 'stage-not-processor-or-cli',
      comment: 'Stages never import the consume loop (processor) or the CLI.',
      severity: 'error',
      from: { path: folders(STAGES) },
      to: { path: folders(['processor', 'cli']) },
    },
    {
      name: 'adapter-not-stage',
      comment: 'Adapters never import stages, the processor, the CLI or dead letters.',
      severity: 'error',
      from: { path: folders(ADAPTERS) },
      to: { path: folders([...STAGES, 'processor', 'cli', 'dead-letter']) },
    },
    ...stageOrder,
    {
      name: 'api-only-from-cli',
      comment:
        'The availability API (pipeline/src/api) is a way in for channel apps: only the CLI (and the harness, tests) start it; stages, adapters and the processor never import it.',
      severity: 'error',
      from: { path: SRC, pathNot: ['^pipeline/src/api/', '^pipeline/src/cli/'] },
      to: { path: '^pipeline/src/api/' },
    },
    {
      name: 'api-not-processor-or-cli',
      comment: 'The availability API reads through the stages and adapters; it never imports the consume loop (processor) or the CLI.',
      severity: 'error',
      from: { path: '^pipeline/src/api/' },
      to: { path: folders(['processor', 'cli']) },
    },
    {
      name: 'kafkajs-only-in-kafka-client',
      comment: 'Only pipeline/src/kafka/client.ts imports kafkajs; everything else uses that client.',
      severity: 'error',
      from: { pathNot: '^pipeline/src/kafka/client\\.ts$' },
      to: { path: '(^|/)node_modules/kafkajs/' },
    },
    ...throughIndex,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
