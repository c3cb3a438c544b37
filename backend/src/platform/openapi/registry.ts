import { OpenAPIRegistry, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorBodySchema } from '../http/errors';

extendZodWithOpenApi(z);

/**
 * The registry a runtime's routers register into when they are built, next to their handlers and
 * with the same zod schemas that validate them, so the published document cannot drift from the code.
 */
export function createApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token from `metabot-backend token create` (shown once).',
  });
  return registry;
}

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

/** A JSON request or response body in OpenAPI's shape. */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
