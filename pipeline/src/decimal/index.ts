/** Exact decimals (decimal.ts): the product's one module for decimal arithmetic and formatting. */
export {
  addDecimal,
  floorDecimal,
  formatAtScale,
  formatNormalized,
  minDecimal,
  multiplyDecimal,
  normalizeDecimal,
  parseDecimal,
  roundDecimal,
  roundDouble,
  subtractDecimal,
  type ScaledDecimal,
} from './decimal.ts';
