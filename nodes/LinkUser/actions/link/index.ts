import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, showFor } from '../../../shared/descriptions';
import { userIdField } from '../fields';
import * as createToken from './createToken.operation';
import * as link from './link.operation';
import * as unlink from './unlink.operation';

export const operations = { createToken, link, unlink };

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
		],
		'createToken',
	),
	userIdField(showFor('link', ['createToken', 'link', 'unlink'])),
	...link.description,
	...createToken.description,
	...unlink.description,
];
