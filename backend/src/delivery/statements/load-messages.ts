import type { Knex } from 'knex';
import { fromJson } from '../../platform/db/database';
import type { MessageContent } from '../messages';
import { compileTemplate, type MessageTemplate } from '../templates';

/** A message as the worker sends it: its content with the template compiled once. */
export interface LoadedMessage {
  content: MessageContent;
  template: MessageTemplate;
  critical: boolean;
  notice: boolean;
  traceId: string;
}

export async function loadMessages(db: Knex, ids: string[]): Promise<Array<[string, LoadedMessage]>> {
  const rows = await db('messages').whereIn('id', ids);
  return rows.map((row) => {
    const content = fromJson<MessageContent>(row.content);
    const template = compileTemplate(content);
    return [row.id, { content, template, critical: Boolean(row.critical), notice: content.notice === true, traceId: row.trace_id }];
  });
}
