/** The identity map's public surface for other capabilities (delivery, events, channels). */
export { ensureLead, getLead, markLeadReachable, markLeadUnreachable, type Lead } from './leads';
export { noticeRecipients, resolveRecipients, type Recipient, type Resolution, type ResolveOptions, type InactiveReason } from './recipients';
export { isPaused, getAccount, type Account, type AccountState } from './accounts';
