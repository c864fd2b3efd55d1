/**
 * Issue 16 item 6: configuration that passed `sources check` and broke at run time. Two mapping
 * files with different source names but one topic_prefix read the same topics: `sources check`
 * reports it (offline, across files) and the pipeline refuses to start (topicRoles). Pure unit test
 * on mapping files written to a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMapping, mappingsDir } from '../../src/normalize/mapping.ts';
import { topicRoles } from '../../src/normalize/normalize.ts';
import { checkSources } from '../../src/sources/check.ts';

const shippedPos = fs.readFileSync(path.join(mappingsDir, 'pos.yaml'), 'utf8');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-across-'));
});

function variant(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A second POS (another source name and locations) that forgot to change its topic prefix. */
const secondPos = shippedPos.replace('source: pos', 'source: pos_outlet').replace('locations: ["STORE-*"]', 'locations: ["OUTLET-*"]');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('two sources, one topic prefix', () => {
  it("sources check reports the second file's topic_prefix, naming the first source", async () => {
    const first = variant('pos.yaml', shippedPos);
    const second = variant('pos-outlet.yaml', secondPos);
    const problems = await checkSources([first, second], { offline: true });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: second, line: lineOf(secondPos, 'topic_prefix:') });
    expect(problems[0]!.message).toBe(
      `topic_prefix "pos.pos" is also the topic_prefix of source pos (${first}): one source's topics would be taken for the other's`,
    );
    expect(problems[0]!.hint).toMatch(/own topic_prefix/);
  });

  it('a topic shared through different prefixes is reported too', async () => {
    const first = variant('pos-a.yaml', shippedPos);
    const text = secondPos.replace('topic_prefix: pos.pos', 'topic_prefix: pos').replace('levels:\n  stockcurrent:', 'levels:\n  pos.stockcurrent:');
    const problems = await checkSources([first, variant('pos-b.yaml', text)], { offline: true });
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^topics pos\.pos\.stockcurrent are also read by source pos /));
  });

  it('the pipeline refuses to start on them, naming both files', () => {
    const first = loadMapping(variant('pos-1.yaml', shippedPos));
    const second = loadMapping(variant('pos-2.yaml', secondPos));
    expect(() => topicRoles([first, second])).toThrow(
      /^topic pos\.pos\.(products|locations|stockcurrent|stocklevel) is read by two sources: pos \(.*pos-1\.yaml\) and pos_outlet \(.*pos-2\.yaml\)/,
    );
  });
});
