/**
 * The normalize stage's front door: a decoded Debezium envelope and the source's mapping file
 * (`schemas/sources/*.yaml`) → a canonical change (dimension row, level row with its source
 * position, truncate). Callers outside the stage import from here only.
 */
export {
  isAuthoritative,
  loadMappings,
  loadMapping,
  mappingsDir,
  locate,
  MappingError,
  type SourceMapping,
  type MappingProblem,
  type StockTable,
} from './mapping.ts';
export {
  normalizeChange,
  NormalizeError,
  topicRoles,
  tableTopic,
  type NormalizedChange,
  type TopicRole,
  type DimensionChange,
  type LevelChange,
  type TruncateChange,
  type KeptField,
} from './normalize.ts';
export { completeDimensionChange, completeLevelChange, type StoredLevel } from './partial.ts';
export { PositionError, positionValue, sourcePosition, type SourcePosition } from './position.ts';
export { resolveLevelRow, type Resolution } from './resolve.ts';
export { mappingSchema } from './mapping-schema.ts';
