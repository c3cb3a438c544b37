import type { components } from '../../nodes/shared/api-types';

/** What the desk's routes (/console/api/bots/:id/desk…) answer; see backend/src/console/desk.ts. */
export interface Chat {
  leadId: string;
  channel: string;
  name: string;
  lastActivityAt: string;
}

/** A conversation as the token API documents it (GET /openapi.json): generated, not copied. */
export type Conversation = components['schemas']['Conversation'];

export interface QueueEntry extends Conversation {
  person: Chat | null;
}

export type HistoryItem =
  | { type: 'message'; id: number; sessionId: string; direction: 'in' | 'out'; leadId: string; channel: string; kind: string; body: Record<string, unknown>; operator: string | null; at: string }
  | { type: 'note'; id: number; sessionId: string; author: string; text: string; at: string };

export interface ConversationView {
  conversation: Conversation;
  person: Chat;
  chats: Chat[];
  history: HistoryItem[];
}

export interface CannedAnswer {
  id: number;
  title: string;
  text: string;
  quickReplies: string[];
  updatedBy: string;
  updatedAt: string;
}

export interface Operator {
  email: string;
  role: string;
}
