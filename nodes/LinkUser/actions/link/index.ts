import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, showFor } from '../../../shared/descriptions';
import { userIdField } from '../fields';
import * as createToken from './createToken.operation';
import * as link from './link.operation';
import * as startVerification from './startVerification.operation';
import * as unlink from './unlink.operation';
import * as verifyCode from './verifyCode.operation';

export const operations = { createToken, link, unlink, startVerification, verifyCode };

export const description: INodeProperties[] = [
	operationProperty(
		'link',
		[
			{
				name: 'Create Link Token',
				value: 'createToken',
				action: 'Create a link token',
				description: 'One-time deep link the CRM user opens to connect their messenger',
			},
			{ name: 'Link', value: 'link', action: 'Link a user to a lead', description: 'Connect a CRM user to a known lead directly' },
			{ name: 'Unlink', value: 'unlink', action: 'Unlink a user', description: 'Disconnect a CRM user from one lead or from all' },
			{
				name: 'Start Verification',
				value: 'startVerification',
				action: 'Start a verification code',
				description: 'A one-time 6-digit code for the CRM user, for the workflow to send by SMS or email',
			},
			{
				name: 'Verify Code',
				value: 'verifyCode',
				action: 'Verify a code',
				description: 'Check the code the person typed; a right one links their lead to the user',
			},
		],
		'createToken',
	),
	userIdField(showFor('link', ['createToken', 'link', 'unlink', 'startVerification', 'verifyCode'])),
	...link.description,
	...createToken.description,
	...unlink.description,
	...startVerification.description,
	...verifyCode.description,
];
