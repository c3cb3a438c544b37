import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, IWebhookDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { asNodeError, errorItem } from '../../../shared/execute';
import { metabotApiRequest } from '../../../shared/transport';
import { buttonsField, deliveryOptions, messageFields } from './fields';
import { sendOutput } from './preview';
import { buildMessageRequest } from './request';

const show = showFor('message', ['sendAndWait']);

/** Extra time n8n waits after the backend's own timeout, in case the timeout answer never arrives. */
const RESUME_GRACE_SECONDS = 60;

/**
 * The resume webhook of Send and Wait (restartWebhook): the backend POSTs the answer to the waiting
 * execution's resume URL. n8n never registers it on activation, so it has no webhook lifecycle
 * (checkExists/create/delete); n8n's own send-and-wait nodes declare theirs the same way, as a constant.
 */
export const resumeWebhooks: IWebhookDescription[] = [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true, isFullPath: true }];

export const description: INodeProperties[] = [
	{
		displayName:
			'The workflow pauses here until the recipient answers or the timeout passes, then continues with one item: status, text or buttonData, leadId, userId. Only the first input item is sent.',
		name: 'sendAndWaitNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
	...messageFields('sendAndWait'),
	{
		displayName: 'Response Type',
		name: 'responseType',
		type: 'options',
		options: [
			{ name: 'Button Press', value: 'buttons', description: 'Continue when the recipient presses one of the buttons' },
			{ name: 'Free Text', value: 'text', description: 'Continue with the next message the recipient writes' },
		],
		default: 'buttons',
		displayOptions: { show },
	},
	buttonsField('sendAndWait', { responseType: ['buttons'] }),
	{
		displayName: 'Timeout (Minutes)',
		name: 'timeoutMinutes',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 60,
		description: 'How long to wait for the reply; then the workflow continues with status "timeout"',
		displayOptions: { show },
	},
	deliveryOptions('sendAndWait'),
];

/** Sends the message for the first input item with this execution's resume URL. */
async function sendWithResumeUrl(this: IExecuteFunctions) {
	const { body, headers, fieldLabel } = await buildMessageRequest.call(this, 0);
	const responseType = this.getNodeParameter('responseType', 0) as string;
	const timeoutSeconds = Math.round((this.getNodeParameter('timeoutMinutes', 0) as number) * 60);
	const resumeUrl = this.evaluateExpression('{{ $execution.resumeUrl }}', 0) as string;
	body.wait = { resumeUrl, mode: responseType === 'text' ? 'text' : 'buttons', timeoutSeconds };
	const answer = await metabotApiRequest(this, { operation: 'sendMessage', method: 'POST', path: '/messages', body, headers, itemIndex: 0, fieldLabel });
	return { answer, timeoutSeconds };
}

/**
 * Sends, then puts the execution to wait. The backend calls the resume URL once with the answer
 * (or a timeout), which `webhook` turns into this node's output. A preview queues nothing, so
 * nobody will answer: it is output at once instead.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	let sent: Awaited<ReturnType<typeof sendWithResumeUrl>>;
	try {
		sent = await sendWithResumeUrl.call(this);
	} catch (error) {
		if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, 0);
		return [errorItem(this.getNode(), error, 0)];
	}
	if (sent.answer.dry_run) return this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(sendOutput(sent.answer)), { itemData: { item: 0 } });
	await this.putExecutionToWait(new Date(Date.now() + (sent.timeoutSeconds + RESUME_GRACE_SECONDS) * 1000));
	return this.getInputData();
}

/** The backend's resume call: `{ status, answer:{text?,buttonData?}|null, leadId, userId, messageId, traceId }`. */
export async function webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const resume = this.getBodyData() as IDataObject;
	const answer = (resume.answer as IDataObject | null) ?? null;
	const json: IDataObject = {
		status: resume.status,
		text: answer?.text ?? null,
		buttonData: answer?.buttonData ?? null,
		answer,
		leadId: resume.leadId ?? null,
		userId: resume.userId ?? null,
		messageId: resume.messageId ?? null,
		trace_id: resume.traceId ?? null,
	};
	return { webhookResponse: { success: true }, workflowData: [[{ json }]] };
}
