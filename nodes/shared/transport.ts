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
	/** The node's name for a field the backend's errors point at (`text` → "Text"); the path itself otherwise. */
	fieldLabel?: (path: string) => string;
	/**
	 * A failure answer that is one of the operation's results rather than an error (a wrong code is
	 * something the workflow branches on): the item to output, or undefined to throw as usual.
	 */
	failureAsResult?: (body: IDataObject, statusCode: number) => IDataObject | undefined;
}

interface FullResponse {
	statusCode: number;
	body: unknown;
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One problem as "where: what", e.g. `Text, line 2, column 1: there is no filter "shout"`. */
function describeProblem(error: IDataObject, fieldLabel: (path: string) => string): string {
	const where = [
		error.path ? fieldLabel(String(error.path)) : undefined,
		typeof error.line === 'number' ? `line ${error.line}` : undefined,
		typeof error.column === 'number' ? `column ${error.column}` : undefined,
	].filter((part) => part !== undefined);
	return where.length > 0 ? `${where.join(', ')}: ${String(error.message)}` : String(error.message);
}

/**
 * The backend explains every problem in `message` and, for validation, in `errors[]` (with line
 * and column for a template); its trace id lets the user follow the failed call in the trace log.
 */
function describeErrors(body: IDataObject, fieldLabel: (path: string) => string = (path) => path): string | undefined {
	const errors = Array.isArray(body.errors) ? (body.errors as IDataObject[]) : [];
	const parts = errors.map((error) => describeProblem(error, fieldLabel));
	if (typeof body.trace_id === 'string') parts.push(`Trace ID: ${body.trace_id}`);
	return parts.length > 0 ? parts.join('; ') : undefined;
}

async function requestOptions(context: MetabotContext, request: MetabotRequest<OperationId>): Promise<IHttpRequestOptions> {
	const credentials = await context.getCredentials('metabotApi');
	const serverUrl = String(credentials.serverUrl).replace(/\/+$/, '');
	return {
		method: request.method,
		url: `${serverUrl}/bots/${encodeURIComponent(String(credentials.botId))}${request.path}`,
		qs: request.qs,
		body: request.body as IDataObject | undefined,
		headers: { 'X-Source-System': 'n8n', ...request.headers },
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
}

async function send(context: MetabotContext, request: MetabotRequest<OperationId>, options: IHttpRequestOptions): Promise<FullResponse> {
	try {
		return (await context.helpers.httpRequestWithAuthentication.call(context, 'metabotApi', options)) as FullResponse;
	} catch (error) {
		throw new NodeApiError(context.getNode(), error as JsonObject, { itemIndex: request.itemIndex });
	}
}

/** The backend's refusal as n8n shows it: its message, every problem of `errors[]`, its trace id. */
function refusal(context: MetabotContext, request: MetabotRequest<OperationId>, statusCode: number, body: IDataObject): NodeApiError {
	return new NodeApiError(context.getNode(), body as JsonObject, {
		message: typeof body.message === 'string' ? body.message : `Metabot answered HTTP ${statusCode} to ${request.operation}`,
		description: describeErrors(body, request.fieldLabel),
		httpCode: String(body.errorCode ?? statusCode),
		itemIndex: request.itemIndex,
	});
}

/**
 * Calls the Metabot backend as the bot of the credential. The answer is JSON, so also a plain
 * IDataObject: an operation can hand it to n8n as an item. Answers with `success: false` (any status)
 * become a NodeApiError carrying the backend's message; the parsed body is returned otherwise.
 */
export async function metabotApiRequest<Op extends OperationId>(context: MetabotContext, request: MetabotRequest<Op>): Promise<ApiAnswer<Op> & IDataObject> {
	const response = await send(context, request, await requestOptions(context, request));
	const body = isObject(response.body) ? response.body : { value: response.body as IDataObject[keyof IDataObject] };
	// The document describes these answers; the backend is trusted to keep to it (the drills check it does).
	if (response.statusCode < 400 && body.success !== false) return body as ApiAnswer<Op> & IDataObject;
	const result = request.failureAsResult?.(body, response.statusCode);
	if (result) return result as ApiAnswer<Op> & IDataObject;
	throw refusal(context, request, response.statusCode, body);
}

/** A file the backend streams (downloadFile): its bytes and the name of its Content-Disposition. */
export interface DownloadedFile {
	data: Buffer;
	fileName: string | undefined;
}

/** Like metabotApiRequest, for an answer that is a file: the bytes as they came; a refusal is still the backend's JSON. */
export async function metabotFileRequest<Op extends OperationId>(context: MetabotContext, request: MetabotRequest<Op>): Promise<DownloadedFile> {
	const options = { ...(await requestOptions(context, request)), json: false, encoding: 'arraybuffer' as const };
	const response = (await send(context, request, options)) as FullResponse & { headers?: Record<string, string | undefined> };
	const data = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body as ArrayBuffer);
	if (response.statusCode >= 400) throw refusal(context, request, response.statusCode, parseRefusal(data));
	const disposition = String(response.headers?.['content-disposition'] ?? '');
	const fileName = /filename="([^"]+)"/.exec(disposition)?.[1];
	return { data, fileName };
}

function parseRefusal(data: Buffer): IDataObject {
	try {
		const parsed: unknown = JSON.parse(data.toString('utf8'));
		return isObject(parsed) ? parsed : {};
	} catch {
		return {};
	}
}

/** Encodes each segment of a slash-separated name (aliases like order/thank-you keep their slashes). */
export function encodePath(value: string): string {
	return value
		.split('/')
		.map((segment) => encodeURIComponent(segment))
		.join('/');
}

/**
 * The trace a request continues: the Trace ID option, else the input item's `trace_id` (every item a
 * Metabot Trigger outputs has one). A reply thus lands in the trace of the event that caused it with
 * no expression to write, and none for n8n to evaluate per item; an item without one starts a trace.
 */
function continuedTraceId(context: IExecuteFunctions, options: IDataObject, itemIndex: number): string | undefined {
	if (options.traceId) return String(options.traceId);
	const fromItem = context.getInputData()[itemIndex]?.json.trace_id;
	return typeof fromItem === 'string' && fromItem !== '' ? fromItem : undefined;
}

/** The request headers of the options every sending operation has: Idempotency Key, Trace ID, Dry Run. */
export function optionHeaders(context: IExecuteFunctions, options: IDataObject, itemIndex: number): Record<string, string> {
	const headers: Record<string, string> = {};
	if (options.idempotencyKey) headers['Idempotency-Key'] = String(options.idempotencyKey);
	const traceId = continuedTraceId(context, options, itemIndex);
	if (traceId) headers['X-Trace-Id'] = traceId;
	if (options.dryRun) headers['X-Dry-Run'] = 'true';
	return headers;
}
