import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorBodySchema } from '../../platform/http/errors';
import { jsonContent } from '../../platform/openapi/registry';
import { chatMessageBodySchema } from './history';

const TAG = 'Web chat visitors';
const VISITOR_AUTH = 'visitorToken';
const json = { 'application/json': { schema: errorBodySchema } };
const botParams = z.object({ botId: z.number().int().positive() });
const afterQuery = z.object({ after: z.number().int().min(0).optional().meta({ description: 'The last message id the page has; the answer starts after it (default 0: from the start).' }) });

const chatMessageSchema = chatMessageBodySchema
  .extend({ id: z.number().int(), direction: z.enum(['in', 'out']), createdAt: z.number().int().meta({ description: 'Epoch milliseconds' }) })
  .meta({ id: 'ChatMessage', description: 'One message of the conversation as the page renders it (text is plain; a kept file is fetched by `GET …/api/files/{messageId}/{index}`).' });

const acceptedSchema = z
  .object({
    success: z.literal(true),
    message: chatMessageSchema.meta({ description: 'The visitor’s message as stored (a retried action answers the first one).' }),
    reply: chatMessageSchema.nullable().meta({ description: 'The answer decided at once by the map, if any; a workflow’s answer comes on the event stream.' }),
    typing: z.boolean().meta({ description: 'A workflow listens to the bot: show "typing" until its answer.' }),
    trace_id: z.string(),
  })
  .meta({ id: 'ChatAccepted' });

/** The answers every visitor request can get besides its own: the bot is unknown, or the site may not use its chat. */
const chatErrors = {
  403: { description: 'The request’s Origin is neither this server nor on the bot’s web-chat allow-list', content: json },
  404: { description: 'Unknown bot', content: json },
};
const visitorErrors = {
  401: { description: 'Missing or invalid visitor token (`Authorization: Bearer <token>` of POST …/visitors)', content: json },
  ...chatErrors,
};
const tooMany = { 429: { description: 'Too many requests from this address, for this bot, or messages of this visitor; `Retry-After` says when to try again', content: json } };

interface VisitorApiSchemas {
  update: z.ZodType;
  uploadQuery: z.ZodObject;
}

/**
 * The web chat's visitor API (`/chat/{botId}/api`, what the chat page calls) in the published
 * document, with the schemas that validate it. Its own token: a visitor's, never an API token.
 */
export function documentVisitorApi(docs: OpenAPIRegistry, schemas: VisitorApiSchemas): void {
  docs.registerComponent('securitySchemes', VISITOR_AUTH, { type: 'http', scheme: 'bearer', description: 'A web-chat visitor token from `POST /chat/{botId}/api/visitors` (one visitor of one bot; the page keeps it in localStorage).' });
  const security = [{ [VISITOR_AUTH]: [] }];
  docs.registerPath({
    method: 'post',
    path: '/chat/{botId}/api/visitors',
    operationId: 'createChatVisitor',
    tags: [TAG],
    summary: 'Become a visitor of the bot’s web chat',
    description: 'A random visitor id and its signed token. Nothing is stored until the visitor sends something.',
    // Open to anyone on an allowed site: this is how a visitor gets a token.
    security: [],
    request: { params: botParams },
    responses: {
      201: { description: 'The visitor', ...jsonContent(z.object({ success: z.literal(true), visitorId: z.string(), token: z.string() })) },
      ...chatErrors,
      ...tooMany,
    },
  });
  docs.registerPath({
    method: 'get',
    path: '/chat/{botId}/api/history',
    operationId: 'readChatHistory',
    tags: [TAG],
    summary: 'The visitor’s conversation after a message id',
    description: 'Up to 500 messages, oldest first; read again after the last id for more.',
    security,
    request: { params: botParams, query: afterQuery },
    responses: {
      200: { description: 'The messages', ...jsonContent(z.object({ success: z.literal(true), messages: z.array(chatMessageSchema) })) },
      ...visitorErrors,
    },
  });
  docs.registerPath({
    method: 'get',
    path: '/chat/{botId}/api/events',
    operationId: 'streamChatEvents',
    tags: [TAG],
    summary: 'The visitor’s messages as server-sent events',
    description: 'The history after `after`, then every new message (the bot’s and the visitor’s own from another tab), each as `id: <message id>`, `event: message`, `data: <ChatMessage JSON>`; comments keep the connection alive. At most WEBCHAT_STREAMS_PER_VISITOR streams per visitor in a process: a new one closes the oldest. HEAD answers at once without a stream.',
    security,
    request: { params: botParams, query: afterQuery },
    responses: {
      200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
      ...visitorErrors,
      ...tooMany,
    },
  });
  docs.registerPath({
    method: 'post',
    path: '/chat/{botId}/api/updates',
    operationId: 'sendChatUpdate',
    tags: [TAG],
    summary: 'What the visitor did: a text, a button tap, a shared phone, the start',
    description: 'Stored in the history (once per `id`: a retried POST is the same action), then handled as an inbound message of the `webchat` channel. Counts as one of the visitor’s WEBCHAT_VISITOR_PER_MINUTE messages.',
    security,
    request: { params: botParams, body: { required: true, ...jsonContent(schemas.update) } },
    responses: {
      202: { description: 'Accepted', ...jsonContent(acceptedSchema) },
      ...visitorErrors,
      422: { description: 'Invalid update (or a button that is not on that message); `errors` lists every problem', content: json },
      ...tooMany,
    },
  });
  docs.registerPath({
    method: 'post',
    path: '/chat/{botId}/api/uploads',
    operationId: 'uploadChatFile',
    tags: [TAG],
    summary: 'A file the visitor sends (the raw bytes as the body)',
    description: 'A PNG, JPEG, GIF or WebP picture or a PDF, typed by its bytes (never the name), at most WEBCHAT_UPLOAD_MAX_BYTES. Kept WEBCHAT_FILE_RETENTION_DAYS; reaches workflows as `message.received` with `media.fileId` (`wcf_…`), downloadable with `GET /api/v1/bots/{botId}/files/{fileId}`. Counts as one of the visitor’s messages and in the per-address and per-bot upload buckets.',
    security,
    request: {
      params: botParams,
      query: schemas.uploadQuery,
      body: { required: true, content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } },
    },
    responses: {
      202: { description: 'Accepted; `message.media.ref` is `w:<file id>`', ...jsonContent(acceptedSchema) },
      ...visitorErrors,
      413: { description: 'The file is larger than WEBCHAT_UPLOAD_MAX_BYTES', content: json },
      422: { description: 'Empty, or not a kind of file the chat takes (`errors[0].path` is `file`), or a bad `id` / `name`', content: json },
      ...tooMany,
    },
  });
  docs.registerPath({
    method: 'get',
    path: '/chat/{botId}/api/files/{messageId}/{index}',
    operationId: 'downloadChatFile',
    tags: [TAG],
    summary: 'A file kept by the backend of one of the visitor’s messages',
    description: 'File `index` (0 for `media`, i for `album[i]`) of a message of this visitor’s conversation; only that visitor gets it. Inline with the detected type only for a picture, video or audio; anything else is an `application/octet-stream` attachment, with `nosniff` and a sandboxing CSP. 404 once the retention has purged a visitor’s file.',
    security,
    request: { params: botParams.extend({ messageId: z.number().int().positive(), index: z.number().int().min(0).max(9) }) },
    responses: {
      200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } },
      ...visitorErrors,
      404: { description: 'Unknown bot, message or file (or the file was purged)', content: json },
    },
  });
}
