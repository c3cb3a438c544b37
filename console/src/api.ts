import type { components } from '../../nodes/shared/api-types';

/** The console API (/console/api): the session cookie travels by itself; unsafe requests add the session's CSRF token. */
export type Permission = 'users.manage' | 'maps.read' | 'maps.write' | 'traces.read' | 'analytics.read' | 'analytics.export' | 'conversations.read' | 'conversations.write' | 'templates.read' | 'templates.write';

/** Answers the backend documents (GET /openapi.json), typed from the generated file rather than copied. */
type Schemas = components['schemas'];
export type TraceSummary = Schemas['TraceSummary'];
export type TemplateVersion = Schemas['TemplateVersion'];
export type StoredTemplate = Schemas['StoredTemplate'];
export type TemplateContent = Schemas['MessageTemplateContent'];
export type TemplateDiff = Schemas['TemplateDiff'];
export type TemplateProblem = Schemas['TemplateProblem'];
export type TemplateDraftPreview = Schemas['TemplateDraftPreview'];
export type TemplateDraftPreviewRequest = Schemas['TemplateDraftPreviewRequest'];

export interface ConsoleUser {
  id: number;
  email: string;
  role: string;
  botIds: number[];
  createdAt: number;
  disabledAt: number | null;
}

export interface Session {
  user: ConsoleUser;
  permissions: Permission[];
  csrfToken: string;
}

export interface Bot {
  id: number;
  name: string;
  timezone: string;
}

export interface TraceHop {
  id: number;
  hop: string;
  status: string;
  sourceSystem: string | null;
  alias: string | null;
  userId: string | null;
  leadId: string | null;
  latencyMs: number | null;
  detail: Record<string, unknown> | null;
  timestamp: number;
}

export interface MapVersion {
  version: number;
  author: string;
  authorKind: string | null;
  comment: string;
  rolledBackFrom: number | null;
  createdAt: number;
  endpointCount: number;
}

export interface MapEndpoint {
  alias: string;
  purpose: string;
  owner: string;
  description?: string;
  critical: boolean;
  params: Record<string, unknown>;
  requiresLinkedUser: boolean;
  goal?: unknown;
}

export interface StoredMap extends MapVersion {
  document: { name: string; description?: string; endpoints: MapEndpoint[] };
}

export interface Change {
  type: string;
  path: string;
  oldValue?: unknown;
  value?: unknown;
}

export interface MapDiff {
  from: number;
  to: number;
  added: string[];
  removed: string[];
  changed: Array<{ alias: string; changes: Change[] }>;
  header: Change[];
}

/** The figures of docs/analytics.md, as `/analytics…` answers them; every rate is null when its denominator is 0. */
export type Figures = Schemas['AnalyticsFigures'];

export interface AnalyticsWindow {
  from: string;
  to: string;
  timezone: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A 422's problems, each with the field it is about (and, for a template, line and column). */
    readonly errors: TemplateProblem[] = [],
  ) {
    super(message);
  }
}

let csrfToken = '';

export function rememberCsrf(token: string): void {
  csrfToken = token;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/console/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const answer = (await response.json().catch(() => ({}))) as { message?: string; errors?: TemplateProblem[] };
  if (!response.ok) throw new ApiFailure(response.status, answer.message ?? `HTTP ${response.status}`, answer.errors);
  return answer as T;
}

export function query(values: Record<string, string | number | undefined>): string {
  const entries = Object.entries(values).filter(([, v]) => v !== undefined && v !== '') as Array<[string, string | number]>;
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}

/** One hour of the week in the bot's zone (`/analytics/heatmap`): the sends made then and what came of them. */
export type HeatmapCell = Schemas['AnalyticsHeatmapCell'];
