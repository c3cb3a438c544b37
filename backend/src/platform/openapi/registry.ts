import { OpenAPIRegistry, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorBodySchema } from '../http/errors';

extendZodWithOpenApi(z);

/**
 * Every capability registers its routes here next to their handlers, with the same zod schemas
 * that validate them, so the published document cannot drift from the code.
 */
export const apiRegistry = new OpenAPIRegistry();

apiRegistry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  description: 'An API token from `metabot-backend token create` (shown once).',
});

/** The error answers every authenticated /bots/{botId} route can give, in the documented shape. */
export function errorResponses(scope: string) {
  const json = { 'application/json': { schema: errorBodySchema } };
  return {
    401: { description: 'Missing or invalid token', content: json },
    403: { description: `The token has no rights for this bot, or lacks the "${scope}" scope`, content: json },
    404: { description: 'Unknown bot or resource', content: json },
    422: { description: 'Invalid input; `errors` lists every problem', content: json },
  };
}

/** The `{botId}` path parameter shared by every bot route. */
export const botPathParams = z.object({ botId: z.number().int().positive() });
