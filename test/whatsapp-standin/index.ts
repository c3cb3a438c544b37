export { WhatsappStandin, StandinNumber, StandinUser, type SentMessage, type StandinTemplate, type StandinOptions } from './standin';
export { whatsappLimits, type WhatsappLimits } from './limits';
export { signature, envelope } from './webhooks';
