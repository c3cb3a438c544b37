import type { INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';

/**
 * Where the message's words come from, shared by Send and Send and Wait: written in the node (with
 * its language variants) or a template of the bot's library, which the communications manager
 * changes without editing the workflow.
 */
export function templateFields(operation: string): INodeProperties[] {
	const show = showFor('message', [operation]);
	const written = { ...show, templateSource: ['text'] };
	const library = { ...show, templateSource: ['library'] };
	return [
		{
			displayName: 'Template',
			name: 'templateSource',
			type: 'options',
			options: [
				{ name: 'Text Written Here', value: 'text', description: 'Write the message in this node' },
				{ name: 'From Library', value: 'library', description: 'Send a template of the bot\'s library; a change there applies to the next send' },
			],
			default: 'text',
			displayOptions: { show },
		},
		{
			displayName: 'Template Name or ID',
			name: 'templateName',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getTemplates' },
			required: true,
			default: '',
			description:
				'A template of the bot\'s library (text, buttons and languages). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			displayOptions: { show: library },
		},
		{
			displayName: 'Template Version',
			name: 'templateVersion',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description: 'Keep sending this version of the template; 0 sends the current one',
			displayOptions: { show: library },
		},
		{
			displayName: 'Text',
			name: 'text',
			type: 'string',
			typeOptions: { rows: 5 },
			required: true,
			default: '',
			placeholder: 'Order {{ $json.orderId }} is ready, [[ lead.firstName ]]!',
			hint: 'Order {{ $json.orderId }} is ready, [[ lead.firstName ]]! — n8n fills in {{ }}, each person\'s own values go in [[ ]]',
			description:
				'Use {{ }} for values from this workflow (n8n fills them in once, the same for everybody) and [[ ]] for each person\'s own values, filled in for every recipient: [[ lead.firstName ]], [[ lead.attributes.city ]], [[ params.coupon ]]. Conditions: [% if lead.language == "ru" %]…[% endif %]. Without an expression, {{ lead.firstName }} works too.',
			displayOptions: { show: written },
		},
		// A reference list to copy from; it follows n8n's naming rules for dynamic options, which its
		// package scanner enforces (inline rule exceptions are ignored there).
		{
			displayName: 'Placeholder Name or ID',
			name: 'placeholderList',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getPlaceholders', loadOptionsDependsOn: ['options.params'] },
			default: '',
			description:
				'What a text can say about each person: pick one to see how it is written and copy it into the text (nothing here is sent). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			displayOptions: { show },
		},
		{
			displayName: 'Language Variants',
			name: 'variants',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Language',
			default: {},
			description: 'The message in other languages: each person gets the one of their messenger\'s language (or of their "language" attribute), else the text above',
			displayOptions: { show: written },
			options: [
				{
					displayName: 'Variant',
					name: 'variant',
					values: [
						{ displayName: 'Language', name: 'language', type: 'string', default: '', placeholder: 'ru', description: 'Language code: en, ru, pt-br' },
						{ displayName: 'Text', name: 'text', type: 'string', typeOptions: { rows: 4 }, default: '', description: 'The text in this language, with the same placeholders' },
						{
							displayName: 'Button Labels',
							name: 'buttonLabels',
							type: 'string',
							typeOptions: { rows: 2 },
							default: '',
							description: 'The labels of the buttons in this language, one per line in the order of the buttons; empty keeps the labels as they are',
						},
					],
				},
			],
		},
	];
}
