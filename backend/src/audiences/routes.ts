import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import type { AppContext } from '../platform/context';
import { parseInput } from '../platform/errors';
import { botPathParams, errorResponses, jsonContent as json } from '../platform/openapi/registry';
import { deliverable } from './audience';
import { previewSegment, segmentPeople, segmentSchema } from './segments';
import { createTopic, createTopicSchema, deleteTopic, preferencesSchema, setStopped, listMembers, listTopics, memberPageSchema, membersSchema, subscribe, topicKeySchema, unsubscribe } from './topics';

const keyParams = botPathParams.extend({ key: topicKeySchema });

/** Topics over HTTP (scope `audiences`): create, list, delete; members in and out; members listed by page. */
export function audiencesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'audiences');
  const keyOf = (raw: unknown) => parseInput(topicKeySchema, raw, 'topic key');

  router.post('/bots/:botId/topics', access, async (req, res) => {
    const body = parseInput(createTopicSchema, req.body, 'request body');
    const topic = await createTopic(ctx.db, res.locals.bot.id, body, ctx.clock.now());
    res.status(201).json({ success: true, topic: topicView(topic), trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/topics', access, async (_req, res) => {
    const topics = await listTopics(ctx.db, res.locals.bot.id);
    res.json({ success: true, topics: topics.map((t) => ({ ...topicView(t), members: t.members })), trace_id: res.locals.traceId });
  });

  router.delete('/bots/:botId/topics/:key', access, async (req, res) => {
    await deleteTopic(ctx.db, res.locals.bot.id, keyOf(req.params.key));
    res.json({ success: true, trace_id: res.locals.traceId });
  });

  for (const [action, change] of [['subscribe', subscribe], ['unsubscribe', unsubscribe]] as const) {
    router.post(`/bots/:botId/topics/:key/${action}`, access, async (req, res) => {
      const { bot, traceId } = res.locals;
      const body = parseInput(membersSchema, req.body, 'request body');
      const result = await change(ctx.db, ctx, bot.id, keyOf(req.params.key), body, traceId);
      res.json({ success: true, ...result, trace_id: traceId });
    });
  }

  router.post('/bots/:botId/topics/:key/preferences', access, async (req, res) => {
    const { userIds, leadIds, stopped } = parseInput(preferencesSchema, req.body, 'request body');
    const changed = await setStopped(ctx.db, res.locals.bot.id, keyOf(req.params.key), { userIds, leadIds }, stopped, ctx.clock.now());
    res.json({ success: true, changed, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/topics/:key/members', access, async (req, res) => {
    const page = parseInput(memberPageSchema, req.query, 'query');
    const result = await listMembers(ctx.db, res.locals.bot.id, keyOf(req.params.key), page);
    res.json({ success: true, ...result, members: result.members.map((m) => ({ ...m, subscribedAt: new Date(m.subscribedAt).toISOString() })), trace_id: res.locals.traceId });
  });

  router.post('/bots/:botId/segments/preview', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const segment = parseInput(segmentSchema, req.body, 'request body');
    const reachable = deliverable(ctx.db, { botId: bot.id, channel: 'all', excludeUserIds: [], excludeLeadIds: [] }, await segmentPeople(ctx.db, bot.id, segment));
    const preview = await previewSegment(ctx.db, bot.id, segment, reachable);
    res.json({ success: true, ...preview, sample: preview.sample.map((p) => ({ ...p, lastActivityAt: new Date(p.lastActivityAt).toISOString() })), trace_id: traceId });
  });

  return router;
}

const topicView = (t: { key: string; name: string; createdAt: number }) => ({ key: t.key, name: t.name, createdAt: new Date(t.createdAt).toISOString() });

const answer = <T extends z.ZodRawShape>(shape: T) => z.object({ success: z.literal(true), ...shape, trace_id: z.string() });
const common = { tags: ['Audiences'], security: [{ bearerAuth: [] }] };
const topicSchema = z.object({ key: z.string(), name: z.string(), createdAt: z.string() }).meta({ id: 'Topic' });
const changeAnswer = answer({
  changed: z.number().int().meta({ description: 'Members added (or removed); one already in (or out) is not counted and gets no event' }),
  unknown: z.array(z.string()).meta({ description: 'Lead ids that are not leads of this bot' }),
});
const memberSchema = z.object({ kind: z.enum(['user', 'lead']), id: z.string(), stopped: z.boolean().meta({ description: 'The person stopped this topic\'s non-critical messages' }), subscribedAt: z.string() }).meta({ id: 'TopicMember' });

function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/segments/preview',
    operationId: 'previewSegment',
    summary: 'Dry run of a segment: how many people match, how many a send would reach now, and the first ten',
    description: 'The filter is the data tables\' (`match`, `conditions: [{column, op, value}]`) over the bot\'s people, one per lead. Columns: leadId, channel, linked, userId, state, reachable, language, lastActivityAt, createdAt, `attributes.<name>`, `profile.<name>` (compared as the value\'s type), `topic.<key>` (isTrue: a member). A send takes the same `segment: {filter}`.',
    request: { params: botPathParams, body: json(segmentSchema) },
    responses: {
      200: {
        description: 'The count and a sample',
        ...json(answer({ count: z.number().int(), deliverable: z.number().int().meta({ description: 'Of those, reachable with an active account (or none): whom a send reaches' }), sample: z.array(z.object({ leadId: z.string(), userId: z.string().nullable(), channel: z.string(), lastActivityAt: z.string() })) })),
      },
      ...errorResponses('audiences'),
    },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/topics',
    operationId: 'createTopic',
    summary: 'Create a topic: a named list of people a send can address by its key',
    request: { params: botPathParams, body: json(createTopicSchema) },
    responses: { 201: { description: 'The topic', ...json(answer({ topic: topicSchema })) }, 409: { description: 'The key exists, or the bot has 1000 topics' }, ...errorResponses('audiences') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/topics',
    operationId: 'listTopics',
    summary: 'The bot\'s topics with their member counts',
    request: { params: botPathParams },
    responses: { 200: { description: 'The topics, by key', ...json(answer({ topics: z.array(topicSchema.extend({ members: z.number().int() })) })) }, ...errorResponses('audiences') },
  });
  docs.registerPath({
    ...common,
    method: 'delete',
    path: '/api/v1/bots/{botId}/topics/{key}',
    operationId: 'deleteTopic',
    summary: 'Delete a topic and its memberships (messages already accepted keep their recipients)',
    request: { params: keyParams },
    responses: { 200: { description: 'Deleted', ...json(answer({})) }, ...errorResponses('audiences') },
  });
  for (const [action, operationId, summary, event] of [
    ['subscribe', 'subscribeToTopic', 'Subscribe CRM users and/or leads to a topic', 'topic.subscribed'],
    ['unsubscribe', 'unsubscribeFromTopic', 'Unsubscribe CRM users and/or leads from a topic', 'topic.unsubscribed'],
  ] as const) {
    docs.registerPath({
      ...common,
      method: 'post',
      path: `/api/v1/bots/{botId}/topics/{key}/${action}`,
      operationId,
      summary,
      description: `At most 1000 of each per call. Each change records a \`${event}\` event (\`userId\` or \`leadId\` set; payload \`{topic: {key, name}, member: {kind, id}}\`). A user is reached through their linked chats; a lead, that chat only.`,
      request: { params: keyParams, body: json(membersSchema) },
      responses: { 200: { description: 'How many changed', ...json(changeAnswer) }, ...errorResponses('audiences') },
    });
  }
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/topics/{key}/preferences',
    operationId: 'setTopicPreference',
    summary: 'Stop (or take back) a topic\'s non-critical messages for members, as the person would with /stop <key> in the chat',
    description: 'The members stay in the topic. A stopped member\'s copy of a non-critical send to the topic is skipped when it leaves, with `error: topic_stopped: …`; critical messages pass, as with a pause.',
    request: { params: keyParams, body: json(preferencesSchema) },
    responses: { 200: { description: 'How many memberships changed', ...json(answer({ changed: z.number().int() })) }, ...errorResponses('audiences') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/topics/{key}/members',
    operationId: 'listTopicMembers',
    summary: 'A topic\'s members, one page at a time (pass `nextCursor` back as `cursor`)',
    request: { params: keyParams, query: memberPageSchema },
    responses: { 200: { description: 'A page of members', ...json(answer({ members: z.array(memberSchema), nextCursor: z.string().nullable() })) }, ...errorResponses('audiences') },
  });
}
