/**
 * The availability API's front door (docs/api.md): `startApi` serves it, the key helpers let the
 * CLI make and check keys.
 */
export { startApi, type ApiOptions, type RunningApi } from './server.ts';
export { ApiKeysError, hashApiKey, loadApiKeys, newApiKey, type ApiKeyEntry, type ApiKeys } from './keys.ts';
export { MAX_BATCH_SKUS } from './schemas.ts';
