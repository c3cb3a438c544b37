import type { Bot } from '../bots/bots';
import type { OpenApiDocument } from '../platform/openapi/document';
import { answerTimeoutOf, type MapEndpoint } from './map-document';
import type { StoredMap } from './maps';

/** How the endpoint answers, for the developers of the calling system. */
function answerNote(endpoint: MapEndpoint): string {
  if (endpoint.answer !== 'workflow') return '';
  return `Answered by the workflow within ${answerTimeoutOf(endpoint)} ms (\`answered_by: "workflow"\`); otherwise \`answered_by: "fallback"\` with ${JSON.stringify(endpoint.fallback)}.`;
}

/**
 * One bot's integration endpoints, each alias of its communication map that `shows` lets through an
 * operation of its own.
 */
export function botDocument(base: OpenApiDocument, bot: Bot, map: StoredMap | undefined, shows: (alias: string) => boolean): OpenApiDocument {
  const paths: Record<string, unknown> = {};
  for (const endpoint of (map?.document.endpoints ?? []).filter((e) => shows(e.alias))) {
    paths[`/api/v1/bots/${bot.id}/call/${endpoint.alias}`] = {
      post: {
        tags: [endpoint.alias.split('/')[0]],
        summary: endpoint.purpose,
        description: [endpoint.description, `Owner: ${endpoint.owner}.`, endpoint.critical ? 'Critical: delivered even to paused users.' : '', answerNote(endpoint)]
          .filter(Boolean)
          .join('\n\n'),
        operationId: `call_${endpoint.alias.replace(/[^A-Za-z0-9]/g, '_')}`,
        security: [{ bearerAuth: [] }],
        parameters: [
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          { name: 'X-Dry-Run', in: 'header', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
          { name: 'X-Source-System', in: 'header', required: false, schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['script_request_params'],
                properties: { script_request_params: endpoint.params },
              },
            },
          },
        },
        responses: {
          200: { description: 'Accepted, or `success: false` with a message', content: { 'application/json': { schema: { $ref: '#/components/schemas/CallAnswer' } } } },
          401: { description: 'Missing or invalid token' },
          403: { description: 'No rights for this bot or alias' },
          404: { description: 'Unknown alias' },
        },
      },
    };
  }
  return {
    ...base,
    info: { ...base.info, title: `${bot.name}: integration endpoints`, description: map ? `Communication map "${map.document.name}", version ${map.version}.` : 'This bot has no communication map yet.' },
    paths: paths as OpenApiDocument['paths'],
  };
}
