import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { Show } from '../../shared/descriptions';

/** A date range a stat counts rows in, relative (today, this week, last N days) or between dates. */
export function windowField(show: Show): INodeProperties {
	return {
		displayName: 'Time Window',
		name: 'window',
		type: 'collection',
		placeholder: 'Add Time Window',
		default: {},
		description: 'Only rows whose date column falls in this window',
		displayOptions: { show },
		options: [
			{ displayName: 'Date Column', name: 'column', type: 'string', default: 'createdAt', description: 'The datetime column the window applies to' },
			{ displayName: 'Days', name: 'days', type: 'number', typeOptions: { minValue: 1 }, default: 7, description: 'For Last N Days' },
			{ displayName: 'From', name: 'from', type: 'string', default: '', placeholder: '2026-11-01', description: 'For Between Dates (inclusive)' },
			{ displayName: 'Time Zone', name: 'timezone', type: 'string', default: '', placeholder: 'Europe/Moscow', description: 'Defaults to the bot\'s time zone' },
			{ displayName: 'To', name: 'to', type: 'string', default: '', placeholder: '2026-11-30', description: 'For Between Dates (a plain date includes the whole day)' },
			{
				displayName: 'Window',
				name: 'type',
				type: 'options',
				options: [
					{ name: 'Today', value: 'today' },
					{ name: 'This Week', value: 'this_week' },
					{ name: 'Last N Days', value: 'last_days' },
					{ name: 'Between Dates', value: 'between' },
				],
				default: 'today',
			},
		],
	};
}

export function readWindow(this: IExecuteFunctions, itemIndex: number): IDataObject | undefined {
	const window = this.getNodeParameter('window', itemIndex, {}) as IDataObject;
	if (!window.type) return undefined;
	const result: IDataObject = { type: window.type };
	if (window.type === 'last_days') result.days = window.days ?? 7;
	if (window.type === 'between') {
		if (window.from) result.from = window.from;
		if (window.to) result.to = window.to;
	}
	if (window.column) result.column = window.column;
	if (window.timezone) result.timezone = window.timezone;
	return result;
}
