import type { Knex } from 'knex';
import { fromJson } from '../../platform/db/database';
import type { MessageContent } from '../messages';
import type { StoredFile } from '../stored-files';
import { compileTemplate, type MessageTemplate } from '../templates';

/** A message as the worker sends it: its content with the template compiled once. */
export interface LoadedMessage {
  content: MessageContent;
  template: MessageTemplate;
  critical: boolean;
  notice: boolean;
  traceId: string;
  /** Files uploaded with it (without bytes); `telegramFileId` is filled in as the first send uploads each. */
  files: StoredFile[];
}

export async function loadMessages(db: Knex, ids: string[]): Promise<Array<[string, LoadedMessage]>> {
  const rows = await db('messages').whereIn('id', ids);
  const withFiles = rows.filter((row) => /"upload":/.test(row.content)).map((row) => row.id as string);
  const fileRows = withFiles.length ? await db('message_files').whereIn('message_id', withFiles).select('id', 'message_id', 'position', 'telegram_file_id') : [];
  return rows.map((row) => {
    const content = fromJson<MessageContent>(row.content);
    const template = compileTemplate(content);
    const files = fileRows
      .filter((f) => f.message_id === row.id)
      .map((f) => ({ id: Number(f.id), position: Number(f.position), telegramFileId: f.telegram_file_id ?? null }));
    return [row.id, { content, template, critical: Boolean(row.critical), notice: content.notice === true, traceId: row.trace_id, files }];
  });
}
