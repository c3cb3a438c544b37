import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { type FieldsOrJsonBlock, fieldsOrJson, showFor } from '../../../shared/descriptions';
import { readFieldsOrJson } from '../../../shared/parameters';

const show = showFor('endpoint', ['answer']);

/** Fields the backend sets on every call answer itself. */
const RESERVED_FIELDS = ['trace_id', 'event_id', 'answered_by', 'queued', 'dry_run'];

/** Fields of the answer beyond success, message and error code (a found record, a link…). */
const extraBlock: FieldsOrJsonBlock = {
	name: 'answerData',
	label: 'Extra Fields',
	fieldsDescription: 'More fields of the answer, e.g. the record the workflow found',
	jsonDescription: 'More fields of the answer, as one JSON object',
};

export const description: INodeProperties[] = [
	{
		displayName:
			'Answers the endpoint call that started this workflow: the Metabot Trigger must be set to Respond "Using \'Answer Call\' Operation", and the endpoint must have answer "workflow" in the map. Only the first answer counts.',
		name: 'answerNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
	{
		displayName: 'Success',
		name: 'answerSuccess',
		type: 'boolean',
		default: true,
		description: 'Whether the call succeeded, as the calling system reads it (`success`)',
		displayOptions: { show },
	},
	{
		displayName: 'Message',
		name: 'answerMessage',
		type: 'string',
		default: '',
		placeholder: 'e.g. Post not found',
		description: 'The `message` of the answer',
		displayOptions: { show },
	},
	{
		displayName: 'Error Code',
		name: 'answerErrorCode',
		type: 'number',
		default: 0,
		description: 'The `errorCode` of the answer; 0 leaves it out',
		displayOptions: { show },
	},
	...fieldsOrJson(show, extraBlock),
];

function answerOf(this: IExecuteFunctions): IDataObject {
	const extra = readFieldsOrJson.call(this, extraBlock, 0);
	const reserved = RESERVED_FIELDS.filter((field) => field in extra);
	if (reserved.length > 0) throw new NodeOperationError(this.getNode(), `The backend sets ${reserved.join(', ')} itself: remove them from Extra Fields`);
	const errorCode = this.getNodeParameter('answerErrorCode', 0, 0) as number;
	return {
		...extra,
		success: this.getNodeParameter('answerSuccess', 0) as boolean,
		message: this.getNodeParameter('answerMessage', 0, '') as string,
		...(errorCode ? { errorCode } : {}),
	};
}

/**
 * Sends the answer once per execution, from the first item, through n8n's own response of the
 * trigger's webhook (what Respond to Webhook does); the items pass through unchanged.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const answer = answerOf.call(this);
	await this.sendResponse({ body: answer, headers: { 'content-type': 'application/json; charset=utf-8' }, statusCode: 200 });
	return this.getInputData();
}
