import type { Knex } from 'knex';
import * as foundation from './0001_foundation';
import * as identity from './0002_identity';
import * as delivery from './0003_delivery';
import * as events from './0004_events';
import * as tables from './0005_tables';
import * as webchat from './0006_webchat';
import * as sendAndWait from './0007_send_and_wait';
import * as phonesAndProfiles from './0008_phones_and_user_profiles';
import * as aliasTokensCallOnly from './0009_alias_tokens_call_only';
import * as idempotencyKeysPerToken from './0010_idempotency_keys_per_token';
import * as templates from './0011_templates';
import * as whatsapp from './0012_whatsapp';
import * as callAnswers from './0013_call_answers';
import * as vk from './0014_vk';
import * as consoleAccounts from './0015_console';
import * as analytics from './0016_analytics';
import * as richMessages from './0017_rich_messages';
import * as conversations from './0018_conversations';
import * as verificationCodes from './0019_verification_codes';
import * as topics from './0020_topics';
import * as scheduledSends from './0021_scheduled_sends';
import * as webchatFiles from './0022_webchat_files';
import * as readCache from './0023_read_cache';
import * as desk from './0024_desk';
import * as conversationTimeouts from './0025_conversation_timeouts';
import * as staffGroup from './0026_staff_group';
import * as webchatFilesAge from './0028_webchat_files_age';
import * as analyticsDaily from './0029_analytics_daily';
import * as recipientsBotFk from './0030_recipients_bot_fk';
import * as analyticsChannelRollups from './0031_analytics_channel_rollups';
import * as recipientIndexesAndMessageKey from './0032_recipient_indexes_and_message_key';
import * as dataTableValueCounts from './0033_data_table_value_counts';
import * as dataTableValueBuckets from './0034_data_table_value_buckets';
import * as readCacheVersion from './0035_read_cache_version';

interface Migration {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/**
 * Every migration, in order. Listed explicitly (not read from a folder) so the same list runs
 * from TypeScript in tests and from the compiled build. Each capability appends its own file.
 */
const migrations: Array<[string, Migration]> = [
  ['0001_foundation', foundation],
  ['0002_identity', identity],
  ['0003_delivery', delivery],
  ['0004_events', events],
  ['0005_tables', tables],
  ['0006_webchat', webchat],
  ['0007_send_and_wait', sendAndWait],
  ['0008_phones_and_user_profiles', phonesAndProfiles],
  ['0009_alias_tokens_call_only', aliasTokensCallOnly],
  ['0010_idempotency_keys_per_token', idempotencyKeysPerToken],
  ['0011_templates', templates],
  ['0012_whatsapp', whatsapp],
  ['0013_call_answers', callAnswers],
  ['0014_vk', vk],
  ['0015_console', consoleAccounts],
  ['0016_analytics', analytics],
  ['0017_rich_messages', richMessages],
  ['0018_conversations', conversations],
  ['0019_verification_codes', verificationCodes],
  ['0020_topics', topics],
  ['0021_scheduled_sends', scheduledSends],
  ['0022_webchat_files', webchatFiles],
  ['0023_read_cache', readCache],
  ['0024_desk', desk],
  ['0025_conversation_timeouts', conversationTimeouts],
  ['0026_staff_group', staffGroup],
  ['0028_webchat_files_age', webchatFilesAge],
  ['0029_analytics_daily', analyticsDaily],
  ['0030_recipients_bot_fk', recipientsBotFk],
  ['0031_analytics_channel_rollups', analyticsChannelRollups],
  ['0032_recipient_indexes_and_message_key', recipientIndexesAndMessageKey],
  ['0033_data_table_value_counts', dataTableValueCounts],
  ['0034_data_table_value_buckets', dataTableValueBuckets],
  ['0035_read_cache_version', readCacheVersion],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
