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
import type { operations } from './api-types';

export type MetabotContext = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions;

/** An operation of the backend's API, named by its operationId in the OpenAPI document. */
export type OperationId = keyof operations;

type JsonContent<Part> = Part extends { content: { 'application/json': infer Json } } ? Json : never;
type Responses<Op extends OperationId> = operations[Op]['responses'];

/** The request body the document declares for the operation. */
export type ApiBody<Op extends OperationId> = JsonContent<NonNullable<operations[Op]['requestBody']>>;

/**
 * The JSON of the operation's successful answers; a plain object where the document declares no
 * body for them (the answer is then read field by field, as before the document had types).
 */
export type ApiAnswer<Op extends OperationId> =
	[JsonContent<Responses<Op>[Extract<keyof Responses<Op>, 200 | 201 | 202>]>] extends [never]
		? IDataObject
		: JsonContent<Responses<Op>[Extract<keyof Responses<Op>, 200 | 201 | 202>]>;

export interface MetabotRequest<Op extends OperationId> {
	/** Types the body and the answer; named in the error when the backend gives no message. */
	operation: Op;
	method: IHttpRequestMethods;
	/** Path below /bots/{botId}, starting with a slash ('' for the bot itself). */
	path: string;
	body?: ApiBody<Op>;
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
 * Calls the Metabot backend as the bot of the credential. The answer is JSON, so also a plain
 * IDataObject: an operation can hand it to n8n as an item. Answers with `success: false` (any status)
 * become a NodeApiError carrying the backend's message; the parsed body is returned otherwise.
 */
export async function metabotApiRequest<Op extends OperationId>(context: MetabotContext, request: MetabotRequest<Op>): Promise<ApiAnswer<Op> & IDataObject> {
	const credentials = await context.getCredentials('metabotApi');
	const serverUrl = String(credentials.serverUrl).replace(/\/+$/, '');
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${serverUrl}/bots/${encodeURIComponent(String(credentials.botId))}${request.path}`,
		qs: request.qs,
		body: request.body as IDataObject | undefined,
		headers: { 'X-Source-System': 'n8n', ...request.headers },
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	let response: FullResponse;
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(context, 'metabotApi', options)) as FullResponse;
	} catch (error) {
		throw new NodeApiError(context.getNode(), error as JsonObject, { itemIndex: request.itemIndex });
	}
	const body = isObject(response.body) ? response.body : { value: response.body as IDataObject[keyof IDataObject] };
	// The document describes these answers; the backend is trusted to keep to it (the drills check it does).
	if (response.statusCode < 400 && body.success !== false) return body as ApiAnswer<Op> & IDataObject;
	const httpCode = String(body.errorCode ?? response.statusCode);
	throw new NodeApiError(context.getNode(), body as JsonObject, {
		message: typeof body.message === 'string' ? body.message : `Metabot answered HTTP ${response.statusCode} to ${request.operation}`,
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
