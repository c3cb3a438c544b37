import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as answerButton from './answerButton.operation';
import * as answerPreCheckout from './answerPreCheckout.operation';
import * as askRating from './askRating.operation';
import * as cancel from './cancel.operation';
import * as deleteMessage from './deleteMessage.operation';
import * as downloadFile from './downloadFile.operation';
import * as editMessage from './editMessage.operation';
import * as getStatus from './getStatus.operation';
import * as refundPayment from './refundPayment.operation';
import * as send from './send.operation';
import * as sendAndWait from './sendAndWait.operation';
import * as sendInvoice from './sendInvoice.operation';
import * as sendTyping from './sendTyping.operation';

/** The operations run once per input item; Send and Wait runs once per execution (see the router). */
export const operations = { send, getStatus, askRating, cancel, editMessage, deleteMessage, sendTyping, answerButton, downloadFile, sendInvoice, refundPayment, answerPreCheckout };

export { sendAndWait };

export const description: INodeProperties[] = [
	operationProperty(
		'message',
		[
			{
				name: 'Answer Button',
				value: 'answerButton',
				action: 'Answer a pressed button',
				description: 'Answer a button press with a toast or an alert',
			},
			{
				name: 'Answer Pre-Checkout',
				value: 'answerPreCheckout',
				action: 'Answer a payment pre checkout',
				description: 'Accept or refuse a payment the person confirmed, within the bot\'s time for it',
			},
			{
				name: 'Ask for Rating',
				value: 'askRating',
				action: 'Ask for a rating',
				description: 'Send a question with buttons 1 to 5; the tap is recorded as a rating (CSAT)',
			},
			{
				name: 'Cancel Message',
				value: 'cancel',
				action: 'Cancel a message',
				description: 'Cancel a scheduled or unfinished message by its ID or Cancel Key; what has not left is never sent',
			},
			{
				name: 'Delete Message',
				value: 'deleteMessage',
				action: 'Delete a sent message',
				description: 'Delete a sent message in the chats it reached',
			},
			{
				name: 'Download File',
				value: 'downloadFile',
				action: 'Download a file a person sent',
				description: 'Fetch a photo, document or voice message a person sent into the item\'s binary data',
			},
			{
				name: 'Edit Message',
				value: 'editMessage',
				action: 'Edit a sent message',
				description: 'Change the text (or caption) and buttons of a sent message for everyone it reached',
			},
			{
				name: 'Get Status',
				value: 'getStatus',
				action: 'Get the delivery status of a message',
				description: 'Per-recipient delivery status of a sent message',
			},
			{
				name: 'Refund Payment',
				value: 'refundPayment',
				action: 'Refund a Stars payment',
				description: 'Refund a Telegram Stars payment by its charge ID',
			},
			{
				name: 'Send',
				value: 'send',
				action: 'Send a message',
				description: 'Send a message to users or leads in their messenger',
			},
			{
				name: 'Send and Wait for Reply',
				value: 'sendAndWait',
				action: 'Send a message and wait for reply',
				description: 'Send a message, pause the workflow, and continue with the button pressed or the text written',
			},
			{
				name: 'Send Invoice',
				value: 'sendInvoice',
				action: 'Send an invoice',
				description: 'Sell in the chat: a Telegram invoice paid in Stars or through a payment provider',
			},
			{
				name: 'Send Typing',
				value: 'sendTyping',
				action: 'Show typing in the chat',
				description: 'Show "typing…" (or sending a photo, …) while the workflow works',
			},
		],
		'send',
	),
	...send.description,
	...sendAndWait.description,
	...getStatus.description,
	...askRating.description,
	...cancel.description,
	...editMessage.description,
	...deleteMessage.description,
	...sendTyping.description,
	...answerButton.description,
	...downloadFile.description,
	...sendInvoice.description,
	...refundPayment.description,
	...answerPreCheckout.description,
];
