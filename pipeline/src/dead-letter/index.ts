/**
 * Dead letters' one home: the reasons table, producing quarantined records to the dead-letter
 * topic, and reading, selecting, formatting and replaying them (`stocksync dlq`). Callers
 * outside this folder import from here only.
 */
export { ensureDeadLetterTopic, sendDeadLetters, type DeadLetter } from './dead-letter.ts';
export type { DeadLetterReason, DeadLetterReasonOf } from './reasons.ts';
export { deadLetterJson, formatDeadLetter } from './format.ts';
export { readDeadLetters, type DeadLetterEntry } from './read.ts';
export { replayDeadLetters } from './replay.ts';
export { selectDeadLetters, type DeadLetterFilter } from './select.ts';
