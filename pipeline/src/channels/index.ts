/**
 * The channels stage's front door: available to sell per sales channel, computed from
 * `stock.levels` by the channel rules (`schemas/channels/channels.yaml`) and written to each
 * channel's database. Callers outside the stage import from here only.
 */
export {
  channelEndpoint,
  channelRule,
  ChannelsConfigError,
  checkChannelsConfig,
  loadChannelsConfig,
  defaultChannelsFile,
  channelsDir,
  storeKindMismatch,
  type AlertSettings,
  type ChannelRule,
  type ChannelsConfig,
  type ChannelsCheck,
} from './config.ts';
export { channelsSchema } from './channels-schema.ts';
export { startChannels, type ChannelCommit, type ChannelsReadiness } from './fanout.ts';
export { channelGroupIds, resetChannels, resyncChannel } from './reset.ts';
export {
  createAvailabilityReader,
  parseChannelChange,
  readChannelChanges,
  type Availability,
  type AvailabilityReader,
  type ChannelChange,
} from './availability.ts';
export { STREAM_MAX_LENGTH } from './notify.ts';
export { checkChannels, type ChannelMismatch } from './oracle.ts';
export { availableToSell, type CanonicalRow } from './rules.ts';
