import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import { ApiError, errorBodySchema } from '../platform/http/errors';
import { notFound, parseInput } from '../platform/errors';
import type { AppContext } from '../platform/context';
import { botPathParams, errorResponses, jsonContent as json } from '../platform/openapi/registry';
import { userIdSchema } from './accounts';
import { getLead } from './leads';
import { leadIdSchema } from './routes';
import { MAX_ATTEMPTS, MAX_CODES_PER_HOUR, startVerification, type VerificationOutcome, verifyCode } from './verification';

const startBodySchema = z.object({ userId: userIdSchema });
const verifyBodySchema = z.object({
  userId: userIdSchema,
  leadId: leadIdSchema,
  // What the person typed: spaces and dashes ("123 456", "123-456") are read past.
  code: z
    .string()
    .max(32)
    .transform((text) => text.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'six digits')),
});

/** The failures a person can be told apart, each with its own status (and errorCode, the same). */
const failures: Record<Exclude<VerificationOutcome['status'], 'verified'>, { status: number; message: string }> = {
  wrong: { status: 422, message: 'Wrong code' },
  expired: { status: 410, message: 'The code has expired; start a new verification' },
  too_many_attempts: { status: 429, message: `Too many attempts (${MAX_ATTEMPTS}); start a new verification` },
  none: { status: 404, message: 'No verification is pending for this user; start one' },
};

function failure(outcome: Exclude<VerificationOutcome, { status: 'verified' }>): ApiError {
  const { status, message } = failures[outcome.status];
  const detail = outcome.status === 'wrong' ? `wrong; ${outcome.attemptsLeft} attempts left` : outcome.status;
  return new ApiError(status, message, { errorCode: status, errors: [{ path: 'code', message: detail }] });
}

/** One-time codes over HTTP (scope `verification`): start a code for a CRM user, verify what the person typed. */
export function verificationRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'verification');

  router.post('/bots/:botId/verifications', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const body = parseInput(startBodySchema, req.body, 'request body');
    const started = await startVerification(ctx, { botId: bot.id, userId: body.userId, traceId });
    if (started.status === 'limited') {
      const retryAt = new Date(started.retryAt).toISOString();
      throw new ApiError(429, `At most ${MAX_CODES_PER_HOUR} codes an hour for one user; the next one from ${retryAt}`, { errorCode: 429, errors: [{ path: 'userId', message: `too many codes; retry from ${retryAt}` }] });
    }
    const { verificationId, code, expiresAt, attemptsLeft } = started;
    res.json({ success: true, verificationId, code, expiresAt: new Date(expiresAt).toISOString(), attemptsLeft, trace_id: traceId });
  });

  router.post('/bots/:botId/verifications/verify', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const body = parseInput(verifyBodySchema, req.body, 'request body');
    const lead = await getLead(ctx.db, bot.id, body.leadId);
    if (!lead) throw notFound('Lead not found');
    const outcome = await verifyCode(ctx, { botId: bot.id, ...body, channel: lead.channel, traceId });
    if (outcome.status !== 'verified') throw failure(outcome);
    const { link } = outcome;
    res.json({ success: true, verified: true, link: { ...link, connectedAt: new Date(link.connectedAt).toISOString() }, trace_id: traceId });
  });

  return router;
}

const common = { tags: ['Identity'], security: [{ bearerAuth: [] }] };
const errorJson = json(errorBodySchema);

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/verifications',
    operationId: 'startVerification',
    summary: 'Start a one-time code for a CRM user: 6 digits, valid 5 minutes, 5 attempts; the workflow sends it by SMS or email',
    description: `The code is in the answer only: the backend stores its salted HMAC and never logs it. A new code replaces the user's earlier one. At most ${MAX_CODES_PER_HOUR} codes in any hour per user (429, \`errors[0].path\` = userId).`,
    request: { params: botPathParams, body: json(startBodySchema) },
    responses: {
      200: {
        description: 'The code to send',
        ...json(z.object({ success: z.literal(true), verificationId: z.string(), code: z.string(), expiresAt: z.string(), attemptsLeft: z.number().int(), trace_id: z.string() })),
      },
      ...errorResponses('verification'),
      429: { description: `The user had ${MAX_CODES_PER_HOUR} codes in the last hour; the message says from when the next one may start`, ...errorJson },
    },
  });
  docs.registerPath({
    ...common,
    method: 'post',
    path: '/api/v1/bots/{botId}/verifications/verify',
    operationId: 'verifyCode',
    summary: 'Check the code the person typed; a right one links their lead to the user',
    description: 'Checks against the user\'s newest code. A right code is used up and links `leadId` to `userId` (source `code`; a lead linked to another user moves, as with a deep link). Failures are told apart by status and `errorCode`: 422 wrong code (`errors[0].message` says how many attempts are left), 410 expired, 429 too many attempts, 404 no pending code.',
    request: { params: botPathParams, body: json(verifyBodySchema) },
    responses: {
      200: { description: 'Verified and linked', ...json(z.object({ success: z.literal(true), verified: z.literal(true), link: z.object({ userId: z.string(), leadId: z.string(), source: z.string(), connectedAt: z.string() }), trace_id: z.string() })) },
      ...errorResponses('verification'),
      404: { description: 'Unknown bot or lead, or no verification pending for the user', ...errorJson },
      410: { description: 'The code has expired', ...errorJson },
      422: { description: 'Invalid input, or a wrong code (`errorCode` 422, `errors[0].path` = code)', ...errorJson },
      429: { description: 'The code had its 5 attempts', ...errorJson },
    },
  });
}
