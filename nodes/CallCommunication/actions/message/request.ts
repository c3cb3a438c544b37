import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { parseJsonParameter, toIdList } from '../../../shared/parameters';
import { type ApiBody, optionHeaders } from '../../../shared/transport';

interface ButtonInput {
	text: string;
	type: string;
	value: string;
	sameRow?: boolean;
}

type MessageBody = ApiBody<'sendMessage'>;
type Button = NonNullable<MessageBody['buttons']>[number][number];

function buttonRows(collection: unknown): Button[][] {
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
}

/** The POST /messages body and headers from the node's parameters for one item. */
export function buildMessageRequest(this: IExecuteFunctions, itemIndex: number): MessageRequest {
	const recipientType = this.getNodeParameter('recipientType', itemIndex) as string;
	const recipients = toIdList(this.getNodeParameter('recipients', itemIndex));
	if (recipients.length === 0) {
		throw new NodeOperationError(this.getNode(), 'No recipients given', { itemIndex });
	}
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: MessageBody = {
		...(recipientType === 'leadIds' ? { leadIds: recipients } : { userIds: recipients }),
		text: this.getNodeParameter('text', itemIndex) as string,
	};
	const buttons = buttonRows(this.getNodeParameter('buttons', itemIndex, {}));
	if (buttons.length > 0) body.buttons = buttons;
	if (options.params) body.params = parseJsonParameter(this.getNode(), options.params, 'Template Parameters', itemIndex);
	if (options.parseMode) body.parseMode = options.parseMode as MessageBody['parseMode'];
	if (options.imageUrl) body.imageUrl = options.imageUrl as string;
	const quickReplies = String(options.quickReplies ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
	if (quickReplies.length > 0) body.quickReplies = quickReplies;
	if (options.requestContact) body.requestContact = { buttonText: options.requestContact as string };
	if (options.critical) body.critical = true;
	if (options.channel) body.channel = options.channel as MessageBody['channel'];
	return { body, headers: optionHeaders(options) };
}
