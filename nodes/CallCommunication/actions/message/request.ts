import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { parseJsonParameter, toIdList } from '../../../shared/parameters';
import { type ApiBody, optionHeaders } from '../../../shared/transport';
import { messageFieldLabels } from './field-labels';
import { type Button, readTemplateContent } from './template-content';

interface ButtonInput {
	text: string;
	type: string;
	value: string;
	sameRow?: boolean;
}

type MessageBody = ApiBody<'sendMessage'>;

/** The Buttons collection as rows: a button marked Same Row joins the row before it. */
export function buttonRows(collection: unknown): Button[][] {
	const buttons = ((collection as { button?: ButtonInput[] } | undefined)?.button ?? []) as ButtonInput[];
	const rows: Button[][] = [];
	for (const button of buttons) {
		const built: Button = button.type === 'url' ? { text: button.text, url: button.value } : { text: button.text, data: button.value };
		const lastRow = rows[rows.length - 1];
		if (button.sameRow && lastRow) lastRow.push(built);
		else rows.push([built]);
	}
	return rows;
}

export interface MessageRequest {
	body: MessageBody;
	headers: Record<string, string>;
	/** Names the fields of this message in the backend's errors as the node shows them. */
	fieldLabel: (path: string) => string;
}

type Media = NonNullable<MessageBody['media']>;

/** The file of the message: an item's binary property goes as base64 with its name and type. */
async function mediaOf(ctx: IExecuteFunctions, options: IDataObject, itemIndex: number): Promise<Media | undefined> {
	const value = String(options.mediaValue ?? '').trim();
	if (!options.mediaSource || !value) return undefined;
	const kind = (options.mediaKind ?? 'document') as Media['kind'];
	if (options.mediaSource === 'url') return { kind, url: value };
	if (options.mediaSource === 'fileId') return { kind, fileId: value };
	const binary = ctx.helpers.assertBinaryData(itemIndex, value);
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, value);
	return { kind, upload: { data: bytes.toString('base64'), fileName: binary.fileName ?? `${kind}.bin`, ...(binary.mimeType ? { mimeType: binary.mimeType } : {}) } };
}

/** Send To and Recipients (`recipientFields`) as the body's leadIds or userIds. */
export function readRecipients(this: IExecuteFunctions, itemIndex: number): { leadIds: string[] } | { userIds: string[] } {
	const recipientType = this.getNodeParameter('recipientType', itemIndex) as string;
	const recipients = toIdList(this.getNodeParameter('recipients', itemIndex));
	if (recipients.length === 0) {
		throw new NodeOperationError(this.getNode(), 'No recipients given', { itemIndex });
	}
	return recipientType === 'leadIds' ? { leadIds: recipients } : { userIds: recipients };
}

type SegmentFilter = NonNullable<MessageBody['segment']>['filter'];
type Audience = Pick<MessageBody, 'topics' | 'segment' | 'excludeUserIds' | 'excludeLeadIds'>;

/** Send To Topics or Segment (`audienceFields`) as the body's topics or segment, with the exclusions. */
function readAudience(this: IExecuteFunctions, recipientType: string, itemIndex: number): Audience {
	const excludeUserIds = toIdList(this.getNodeParameter('excludeUserIds', itemIndex, ''));
	const excludeLeadIds = toIdList(this.getNodeParameter('excludeLeadIds', itemIndex, ''));
	const exclusions = { ...(excludeUserIds.length ? { excludeUserIds } : {}), ...(excludeLeadIds.length ? { excludeLeadIds } : {}) };
	if (recipientType === 'segment') {
		// Checked by the backend, whose errors name each condition (segment.filter.conditions.<i>…).
		const filter = parseJsonParameter(this.getNode(), this.getNodeParameter('segmentFilter', itemIndex), 'Segment Filter (JSON)', itemIndex) as SegmentFilter;
		return { segment: { filter }, ...exclusions };
	}
	const topics = toIdList(this.getNodeParameter('topics', itemIndex, []));
	if (topics.length === 0) throw new NodeOperationError(this.getNode(), 'No topics given', { itemIndex });
	return { topics, ...exclusions };
}

/** Who the send goes to: listed IDs, or (Send) an audience. */
function readSendTargets(this: IExecuteFunctions, recipientType: string, itemIndex: number): Audience | ReturnType<typeof readRecipients> {
	return recipientType === 'topics' || recipientType === 'segment' ? readAudience.call(this, recipientType, itemIndex) : readRecipients.call(this, itemIndex);
}

/** The POST /messages body and headers from the node's parameters for one item. */
export async function buildMessageRequest(this: IExecuteFunctions, itemIndex: number): Promise<MessageRequest> {
	const recipientType = this.getNodeParameter('recipientType', itemIndex) as string;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const buttons = buttonRows(this.getNodeParameter('buttons', itemIndex, {}));
	const body: MessageBody = {
		...readSendTargets.call(this, recipientType, itemIndex),
		...readTemplateContent.call(this, buttons, itemIndex),
	};
	if (buttons.length > 0) body.buttons = buttons;
	if (options.params) body.params = parseJsonParameter(this.getNode(), options.params, 'Template Parameters', itemIndex);
	if (options.parseMode) body.parseMode = options.parseMode as MessageBody['parseMode'];
	if (options.imageUrl) body.imageUrl = options.imageUrl as string;
	const media = await mediaOf(this, options, itemIndex);
	if (media) body.media = media;
	const quickReplies = String(options.quickReplies ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
	if (quickReplies.length > 0) body.quickReplies = quickReplies;
	if (options.requestContact) body.requestContact = { buttonText: options.requestContact as string };
	if (options.critical) body.critical = true;
	if (options.channel) body.channel = options.channel as MessageBody['channel'];
	if (options.sendAt) body.sendAt = String(options.sendAt).trim();
	if (Number(options.delaySeconds) > 0) body.delaySeconds = Number(options.delaySeconds);
	if (options.localTime) body.localTime = String(options.localTime).trim();
	if (options.cancelKey) body.cancelKey = String(options.cancelKey).trim();
	const previewFor = String(options.previewFor ?? '').trim();
	if (options.dryRun && previewFor) body.previewFor = recipientType === 'leadIds' ? { leadId: previewFor } : { userId: previewFor };
	return { body, headers: optionHeaders(this, options, itemIndex), fieldLabel: messageFieldLabels(buttons) };
}
