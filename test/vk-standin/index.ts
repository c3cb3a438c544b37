export { VkStandin, StandinCommunity, StandinVkUser, type SentMessage, type VkLimits, type ApiRequest } from './standin';
export { VkError } from './rules';
