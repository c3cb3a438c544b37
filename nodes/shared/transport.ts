import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

export type MetabotContext = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions;

export interface MetabotRequest {
	method: IHttpRequestMethods;
	/** Path below /bots/{botId}, starting with a slash ('' for the bot itself). */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	headers?: Record<string, string>;
	itemIndex?: number;
}

interface FullResponse {
	statusCode: number;
	body: unknown;
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The backend explains every problem in `message` and, for validation, in `errors[]`; its trace id
 * lets the user follow the failed call in the trace log.
 */
function describeErrors(body: IDataObject): string | undefined {
	const errors = Array.isArray(body.errors) ? (body.errors as IDataObject[]) : [];
	const parts = errors.map((error) => (error.path ? `${String(error.path)}: ${String(error.message)}` : String(error.message)));
	if (typeof body.trace_id === 'string') parts.push(`Trace ID: ${body.trace_id}`);
	return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Calls the Metabot backend as the bot of the credential. Answers with `success: false` (any status)
 * become a NodeApiError carrying the backend's message; the parsed body is returned otherwise.
 */
export async function metabotApiRequest(this: MetabotContext, request: MetabotRequest): Promise<IDataObject> {
	const credentials = await this.getCredentials('metabotApi');
	const serverUrl = String(credentials.serverUrl).replace(/\/+$/, '');
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${serverUrl}/bots/${encodeURIComponent(String(credentials.botId))}${request.path}`,
		qs: request.qs,
		body: request.body,
		headers: { 'X-Source-System': 'n8n', ...request.headers },
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	let response: FullResponse;
	try {
		response = (await this.helpers.httpRequestWithAuthentication.call(this, 'metabotApi', options)) as FullResponse;
	} catch (error) {
		throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: request.itemIndex });
	}
	const body = isObject(response.body) ? response.body : { value: response.body as IDataObject[keyof IDataObject] };
	if (response.statusCode < 400 && body.success !== false) return body;
	const httpCode = String(body.errorCode ?? response.statusCode);
	throw new NodeApiError(this.getNode(), body as JsonObject, {
		message: typeof body.message === 'string' ? body.message : `Metabot answered HTTP ${response.statusCode}`,
		description: describeErrors(body),
		httpCode,
		itemIndex: request.itemIndex,
	});
}

/** Encodes each segment of a slash-separated name (aliases like order/thank-you keep their slashes). */
export function encodePath(value: string): string {
	return value
		.split('/')
		.map((segment) => encodeURIComponent(segment))
		.join('/');
}

/** The request headers of the options every sending operation has: Idempotency Key, Trace ID, Dry Run. */
export function optionHeaders(options: IDataObject): Record<string, string> {
	const headers: Record<string, string> = {};
	if (options.idempotencyKey) headers['Idempotency-Key'] = String(options.idempotencyKey);
	if (options.traceId) headers['X-Trace-Id'] = String(options.traceId);
	if (options.dryRun) headers['X-Dry-Run'] = 'true';
	return headers;
}
