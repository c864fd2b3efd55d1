import type { Command } from 'commander';
import { stackEndpoints } from '../config/endpoints.ts';
import { deadLetterJson, formatDeadLetter } from '../dead-letter/index.ts';
import { readDeadLetters } from '../dead-letter/index.ts';
import { replayDeadLetters } from '../dead-letter/index.ts';
import { selectDeadLetters, type DeadLetterFilter } from '../dead-letter/index.ts';
import { createKafkaClient } from '../kafka/client.ts';
import { DEAD_LETTER_TOPIC } from '../config/names.ts';

interface FilterOptions {
  reason?: string[];
  topic?: string[];
  source?: string[];
  table?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withFilters(command: Command): Command {
  return command
    .option('--reason <reason>', 'only dead letters with this reason (repeatable)', collect)
    .option('--topic <topic>', 'only dead letters from this original topic (repeatable)', collect)
    .option('--source <source>', 'only dead letters of this source (repeatable)', collect)
    .option('--table <table>', 'only dead letters of this table (repeatable)', collect);
}

function filterOf(options: FilterOptions): DeadLetterFilter {
  return { reason: options.reason, topic: options.topic, source: options.source, table: options.table };
}

/** `stocksync dlq list | replay`. */
export function register(program: Command): void {
  const dlq = program.command('dlq').description(`records quarantined on the dead-letter topic ${DEAD_LETTER_TOPIC}`);

  withFilters(dlq.command('list').description('print each dead letter: source, topic, partition, offset, table, key, field, reason, error'))
    .option('--json', 'one JSON object per line')
    .action(async (options: FilterOptions & { json?: boolean }) => {
      const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-dlq' });
      try {
        const letters = selectDeadLetters(await readDeadLetters(kafka), filterOf(options));
        if (options.json) {
          for (const e of letters) console.log(deadLetterJson(e));
        } else {
          for (const e of letters) console.log(`${formatDeadLetter(e)}\n`);
          console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}`);
        }
      } finally {
        await kafka.close();
      }
    });

  withFilters(
    dlq.command('replay').description('produce the selected dead letters (all by default) again to their original topic and partition, original key and value'),
  )
    .option('--dry-run', 'print what would be replayed, produce nothing')
    .action(async (options: FilterOptions & { dryRun?: boolean }) => {
      const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-dlq' });
      try {
        const letters = selectDeadLetters(await readDeadLetters(kafka), filterOf(options));
        if (options.dryRun) {
          for (const e of letters)
            console.log(`would replay ${e.dlq.partition}/${e.dlq.offset} -> ${e.topic} partition ${e.partition ?? '?'} (${e.reason ?? 'no reason'})`);
          console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} selected (dry run)`);
          return;
        }
        const counts = await replayDeadLetters(kafka, letters);
        for (const [topic, n] of Object.entries(counts)) console.log(`replayed ${n} to ${topic}`);
        console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} replayed`);
      } finally {
        await kafka.close();
      }
    });
}
