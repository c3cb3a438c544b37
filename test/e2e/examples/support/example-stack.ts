/**
 * The shared harness of the example tests: the real backend (Telegram via the stand-in), one real
 * n8n per test file with the chosen workflows of examples/workflows imported as a user would, their
 * Settings pointed at local stand-ins, and the Metabot credential they reference.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setVkAccount } from '../../../../backend/src/channels/vk/vk-store';
import { rememberDisplayPhone, setWhatsappAccount } from '../../../../backend/src/channels/whatsapp/whatsapp-store';
import { createTelegramBot, startDeliveryBackend, TelegramStandin, type StandinBot } from '../../../../backend/test/support/delivery';
import type { TestBackend, TestResponse } from '../../../../backend/test/support/test-backend';
import { type StandinCommunity, VkStandin } from '../../../vk-standin';
import { type StandinNumber, WhatsappStandin } from '../../../whatsapp-standin';
import { EXAMPLE_CREDENTIAL } from '../../../../scripts/first-run/playground';
import { N8nInstance, type N8nServer, waitUntil } from '../../support/n8n-server';

export const examplesRoot = path.resolve(__dirname, '../../../../examples');

export { EXAMPLE_CREDENTIAL };

/** The name of the Set node that holds a workflow's configuration (URLs of the services it calls). */
export const SETTINGS_NODE = 'Settings';

export type SettingValue = string | number | boolean;

interface WorkflowNode {
  name: string;
  type: string;
  parameters: Record<string, any>;
  credentials?: Record<string, { id: string; name: string }>;
}

export interface ExampleWorkflow {
  id: string;
  name: string;
  active: boolean;
  nodes: WorkflowNode[];
  [key: string]: unknown;
}

export function readJson<T>(relativePath: string): T {
  return JSON.parse(fs.readFileSync(path.join(examplesRoot, relativePath), 'utf8')) as T;
}

/** One map made of several example maps (a bot has one current map). */
export function combinedMap(name: string, files: string[]): { name: string; endpoints: unknown[] } {
  return { name, endpoints: files.flatMap((file) => readJson<{ endpoints: unknown[] }>(`maps/${file}.json`).endpoints) };
}

function settingsAssignments(workflow: ExampleWorkflow): Array<{ name: string; value: unknown }> {
  const node = workflow.nodes.find((n) => n.name === SETTINGS_NODE);
  if (!node) return [];
  if (node.type !== 'n8n-nodes-base.set') throw new Error(`${workflow.name}: "${SETTINGS_NODE}" must be a Set node`);
  return node.parameters.assignments.assignments;
}

/**
 * examples/workflows/<name>.json with its Settings values replaced (every given key must exist
 * there) and marked active. Every Metabot node must use the example credential.
 */
export function loadExampleWorkflow(name: string, settings: Record<string, SettingValue> = {}): ExampleWorkflow {
  const workflow = readJson<ExampleWorkflow>(`workflows/${name}.json`);
  const assignments = settingsAssignments(workflow);
  for (const [key, value] of Object.entries(settings)) {
    const assignment = assignments.find((a) => a.name === key);
    if (!assignment) throw new Error(`${name}.json: no "${key}" in its ${SETTINGS_NODE} node`);
    assignment.value = value;
  }
  for (const node of workflow.nodes.filter((n) => n.credentials?.metabotApi)) {
    if (node.credentials!.metabotApi.id !== EXAMPLE_CREDENTIAL.id) throw new Error(`${name}.json: node "${node.name}" does not use the example credential`);
  }
  return { ...workflow, active: true };
}

const isTrigger = (node: WorkflowNode) => node.type === 'n8n-nodes-metabot.metabotTrigger';

export interface ExampleStackOptions {
  /** The bot's communication map. */
  map: unknown;
  /** Workflow file names (without .json) with the values for their Settings node. */
  workflows: Record<string, Record<string, SettingValue>>;
  /** Also connect a VK community (Callback API) and a WhatsApp number to the bot, each on its stand-in. */
  everyChannel?: boolean;
  /** Further n8n credentials the workflows name (an outside service's key), as n8n's CLI imports them. */
  credentials?: object[];
}

export interface ExampleStack {
  standin: TelegramStandin;
  backend: TestBackend;
  telegram: StandinBot;
  /** The bot's VK community and WhatsApp number, when the stack was started with `everyChannel`. */
  vk?: StandinCommunity;
  whatsapp?: StandinNumber;
  n8n: N8nServer;
  botId: number;
  token: string;
  /** The bot's API: `api('GET', '/users/7')` → /api/v1/bots/{botId}/users/7. */
  api(method: string, apiPath: string, body?: unknown): Promise<TestResponse>;
  /** What a CRM does: POST /call/{alias} with script_request_params; fails the test unless accepted. */
  call(alias: string, params: Record<string, unknown>): Promise<{ traceId: string }>;
  /** A Telegram chat opens the user's deep link (`/start <link token>`): the real linking flow. Answers the lead id. */
  linkChat(chatId: number, userId: string): Promise<string>;
  /** Resolves once a Send and Wait waits for this lead's answer (answer only then, or it is an ordinary message). */
  untilWaiting(leadId: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts everything; resolves once every Metabot Trigger of the imported workflows has subscribed. */
export async function startExampleStack(options: ExampleStackOptions): Promise<ExampleStack> {
  const standin = await TelegramStandin.start();
  const vkStandin = options.everyChannel ? await VkStandin.start() : undefined;
  const whatsappStandin = options.everyChannel ? await WhatsappStandin.start() : undefined;
  const channelRoots: Record<string, string> = vkStandin && whatsappStandin ? { VK_API_ROOT: vkStandin.apiRoot, WHATSAPP_API_ROOT: whatsappStandin.apiRoot } : {};
  const backend = await startDeliveryBackend(standin, channelRoots);
  const started: Array<() => Promise<void>> = [() => standin.close(), async () => vkStandin?.close(), async () => whatsappStandin?.close(), () => backend.close()];
  try {
    const { botId, token, telegram } = await createTelegramBot(backend, standin);
    const vk = vkStandin && (await connectVk(backend, vkStandin, botId));
    const whatsapp = whatsappStandin && (await connectWhatsapp(backend, whatsappStandin, botId));
    const api = (method: string, apiPath: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${apiPath}`, { token, body });
    const mapAnswer = await api('POST', '/maps', { document: options.map });
    if (mapAnswer.status >= 300) throw new Error(`map import failed: ${JSON.stringify(mapAnswer.body)}`);

    const workflows = Object.entries(options.workflows).map(([name, settings]) => loadExampleWorkflow(name, settings));
    const instance = await N8nInstance.create();
    await instance.setup({
      credentials: [{ ...EXAMPLE_CREDENTIAL, type: 'metabotApi', data: { serverUrl: `${backend.url}/api/v1`, botId, token } }, ...(options.credentials ?? [])],
      workflows,
    });
    const n8n = await instance.start();
    started.push(() => n8n.stop());
    const triggers = workflows.flatMap((w) => w.nodes.filter(isTrigger)).length;
    await waitUntil(async () => (await api('GET', '/subscriptions')).body.subscriptions?.length === triggers, 60_000, `${triggers} trigger subscriptions`);
    return stackOf({ standin, backend, telegram, vk, whatsapp, n8n, botId, token, api }, started);
  } catch (error) {
    for (const close of started.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** A stand-in community connected to the bot, its Callback API pointed at the backend. */
async function connectVk(backend: TestBackend, vkStandin: VkStandin, botId: number): Promise<StandinCommunity> {
  const community = vkStandin.createCommunity();
  await setVkAccount(backend.ctx, botId, community.credentials, community.screenName);
  community.callbackUrl = `${backend.url}/vk/${botId}/callback`;
  return community;
}

/** A stand-in number connected to the bot, its webhook pointed at the backend, its displayed phone set (link tokens then carry a wa.me link). */
async function connectWhatsapp(backend: TestBackend, whatsappStandin: WhatsappStandin, botId: number): Promise<StandinNumber> {
  const number = whatsappStandin.createNumber();
  await setWhatsappAccount(backend.ctx, botId, number.credentials, null);
  await rememberDisplayPhone(backend.ctx, botId, '79180000000');
  number.webhookUrl = `${backend.url}/whatsapp/${botId}/webhook`;
  return number;
}

function stackOf(parts: Pick<ExampleStack, 'standin' | 'backend' | 'telegram' | 'vk' | 'whatsapp' | 'n8n' | 'botId' | 'token' | 'api'>, started: Array<() => Promise<void>>): ExampleStack {
  const { backend, telegram, botId, api } = parts;
  return {
    ...parts,
    async call(alias, params) {
      const answer = await api('POST', `/call/${alias}`, { script_request_params: params });
      if (answer.body?.success !== true) throw new Error(`call ${alias} was not accepted: ${JSON.stringify(answer.body)}`);
      return { traceId: answer.body.trace_id as string };
    },
    async linkChat(chatId, userId) {
      const issued = await api('POST', '/link-tokens', { userId });
      telegram.userStarts(chatId, issued.body.token);
      let leadId = '';
      await waitUntil(async () => {
        const user = (await api('GET', `/users/${encodeURIComponent(userId)}`)).body.user;
        leadId = user?.leads.find((lead: { chatId: string }) => lead.chatId === String(chatId))?.id ?? '';
        return leadId !== '';
      }, 15_000, `chat ${chatId} linked to user ${userId}`);
      return leadId;
    },
    untilWaiting: (leadId) =>
      waitUntil(async () => (await backend.ctx.db('message_waits').where({ bot_id: botId, lead_id: leadId }).first()) !== undefined, 60_000, `a wait for lead ${leadId}`),
    async close() {
      for (const close of started.reverse()) await close();
    },
  };
}
