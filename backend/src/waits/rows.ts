import { z } from 'zod';

/** What the messages API stores on a message sent with `wait`. */
export const waitSchema = z.object({ resumeUrl: z.url(), mode: z.enum(['buttons', 'text']), timeoutSeconds: z.number().int().positive() });
export const sentPayloadSchema = z.object({ messageId: z.string(), externalId: z.string().optional() });

export interface WaitRow {
  message_id: string;
  lead_id: string;
  bot_id: number;
  user_id: string | null;
  mode: 'buttons' | 'text';
  external_id: string | null;
  trace_id: string;
  expires_at: number;
  created_at: number;
}

export interface ResumeRow {
  message_id: string;
  bot_id: number;
  status: 'pending' | 'delivered' | 'exhausted';
  resume_url: string;
  body: string;
  attempts: number;
}

export type ResumeBody = {
  status: 'answered' | 'timeout';
  answer: { text?: string; buttonData?: string } | null;
  leadId: string | null;
  userId: string | null;
  messageId: string;
  traceId: string;
};
