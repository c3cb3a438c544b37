import { SCOPES, type Scope } from '../../../backend/src/bots/scopes';
import type { TestBackend } from '../../../backend/test/support/test-backend';

/** One operation of the published OpenAPI document, reduced to what the drills need. */
export interface Endpoint {
  method: string;
  /** The template, e.g. `/api/v1/bots/{botId}/tables/{name}`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyTypes: string[];
  bodySchema: JsonSchema | undefined;
  /** The scope the 403 answer names; null when any scope will do (`"any"`). */
  scope: Scope | null;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
}

interface Operation {
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description?: string }>;
}

/**
 * Every operation of the running backend's /openapi.json. Routes register into the OpenAPI registry
 * next to their handlers, so a new route is in the drills without touching them. The scope comes
 * from the documented 403 (`lacks the "tables" scope`): a bot route that documents none fails here;
 * the visitor API (`/chat/…`) has none.
 * The console's documented routes (security `consoleSession`) take a session, never a token: the
 * console's role × route matrix covers them (backend/test/console/role-matrix.test.ts).
 */
export async function publishedEndpoints(backend: TestBackend): Promise<Endpoint[]> {
  const doc = (await backend.request('GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, Operation>>;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const endpoints: Endpoint[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (op.security?.some((requirement) => 'consoleSession' in requirement)) continue;
      const content = op.requestBody?.content ?? {};
      const firstSchema = Object.values(content)[0]?.schema;
      endpoints.push({
        method: method.toUpperCase(),
        path,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        bodyTypes: Object.keys(content),
        bodySchema: firstSchema && resolveRef(firstSchema, doc.components?.schemas ?? {}),
        scope: documentedScope(method, path, op),
      });
    }
  }
  return endpoints;
}

function resolveRef(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const name = schema.$ref?.replace('#/components/schemas/', '');
  return name && components[name] ? components[name] : schema;
}

function documentedScope(method: string, path: string, op: Operation): Scope | null {
  // Outside /api/ (the web chat's visitor API) a visitor token or none is asked: no API token scope.
  if (!path.startsWith('/api/')) return null;
  const described = /lacks the "([a-z]+)" scope/.exec(op.responses['403']?.description ?? '')?.[1];
  if (described === 'any') return null;
  const scope = SCOPES.find((s) => s === described);
  if (!scope) throw new Error(`${method.toUpperCase()} ${path} documents no scope in its 403 answer`);
  return scope;
}

/** The template with each `{param}` replaced (values are URL-encoded). */
export function concretePath(endpoint: Endpoint, values: Record<string, string>): string {
  return endpoint.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${endpoint.path}`);
    return name === 'alias' ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
}
