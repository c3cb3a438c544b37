import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The whole management and integration API from the registered zod schemas, generated on first use. */
export function apiDocumentOf(registry: OpenAPIRegistry): (serverUrl: string) => OpenApiDocument {
  let baseDocument: OpenApiDocument | undefined;
  return (serverUrl) => {
    baseDocument ??= generate(registry);
    return { ...baseDocument, servers: [{ url: serverUrl }] };
  };
}

function generate(registry: OpenAPIRegistry): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Metabot backend API',
      version: '1',
      description:
        'Integration endpoints compatible with Metabot (`POST /bots/{botId}/call/{alias}`) and the management API used by the n8n nodes.',
      // The license of package.json; SPDX identifier rather than a URL (OpenAPI 3.1 allows either).
      license: { name: 'MIT', identifier: 'MIT' },
    },
  });
}
