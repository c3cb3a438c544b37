export { TelegramStandin, StandinBot, type StandinOptions } from './standin';
export type { RecordedMessage, StandinUser, Failure, Update } from './bot-state';
export { telegramLimits, type StandinLimits } from './limits';
export type { StandinTopic, BotRights } from './forum';
