import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { optionsCollection, showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('analytics', ['get']);
const DAY_MS = 86_400_000;

export const description: INodeProperties[] = [
	{
		displayName: 'View',
		name: 'view',
		type: 'options',
		default: 'bot',
		options: [
			{ name: 'Heat Map', value: 'heatmap', description: 'Sends per weekday and hour of the bot\'s time zone, with how many were answered and converted' },
			{ name: 'Per Channel', value: 'channels', description: 'One set of figures per channel' },
			{ name: 'Per Communication', value: 'communications', description: 'One set of figures per alias, most sends first' },
			{ name: 'Series', value: 'series', description: 'Figures per hour, day or week in the bot\'s time zone' },
			{ name: 'Whole Bot', value: 'bot', description: 'One set of figures for the bot' },
		],
		displayOptions: { show },
	},
	{
		displayName: 'Period',
		name: 'period',
		type: 'options',
		default: 'last7',
		options: [
			{ name: 'Last 24 Hours', value: 'last1' },
			{ name: 'Last 7 Days', value: 'last7' },
			{ name: 'Last 30 Days', value: 'last30' },
			{ name: 'Between Two Dates', value: 'between' },
		],
		displayOptions: { show },
	},
	{
		displayName: 'From',
		name: 'from',
		type: 'dateTime',
		default: '',
		required: true,
		displayOptions: { show: { ...show, period: ['between'] } },
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'dateTime',
		default: '',
		required: true,
		displayOptions: { show: { ...show, period: ['between'] } },
	},
	{
		displayName: 'Bucket',
		name: 'bucket',
		type: 'options',
		default: 'day',
		options: [
			{ name: 'Hour', value: 'hour' },
			{ name: 'Day', value: 'day' },
			{ name: 'Week', value: 'week' },
		],
		displayOptions: { show: { ...show, view: ['series'] } },
	},
	optionsCollection(show, [
		{ displayName: 'Communication (Alias)', name: 'alias', type: 'string', default: '', description: 'Only the communication this alias started' },
		{ displayName: 'Channel', name: 'channel', type: 'options', default: 'telegram', options: [{ name: 'Telegram', value: 'telegram' }, { name: 'Web Chat', value: 'webchat' }, { name: 'WhatsApp', value: 'whatsapp' }] },
		{
			displayName: 'Engagement Window (Hours)',
			name: 'engagementHours',
			type: 'options',
			default: 24,
			description: 'Engagement counts recipients who answered or tapped within this many hours of the send',
			options: [1, 2, 3, 6, 12, 24, 48, 72, 168].map((hours) => ({ name: String(hours), value: hours })),
		},
	]),
];

/** The window the Period parameter names, ending now (n8n's time) or between the two dates. */
function windowOf(context: IExecuteFunctions, itemIndex: number): { from: string; to: string } {
	const period = context.getNodeParameter('period', itemIndex) as string;
	if (period === 'between') {
		const from = new Date(context.getNodeParameter('from', itemIndex) as string);
		const to = new Date(context.getNodeParameter('to', itemIndex) as string);
		if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new NodeOperationError(context.getNode(), 'From and To must be dates', { itemIndex });
		return { from: from.toISOString(), to: to.toISOString() };
	}
	const days = { last1: 1, last7: 7, last30: 30 }[period] ?? 7;
	const now = Date.now();
	return { from: new Date(now - days * DAY_MS).toISOString(), to: new Date(now).toISOString() };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const view = this.getNodeParameter('view', itemIndex) as string;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const qs: IDataObject = { ...windowOf(this, itemIndex), engagementHours: options.engagementHours ?? 24 };
	if (options.alias) qs.alias = options.alias;
	if (options.channel && view !== 'channels') qs.channel = options.channel;
	if (view === 'series') {
		qs.bucket = this.getNodeParameter('bucket', itemIndex) as string;
		return await metabotApiRequest(this, { operation: 'getAnalyticsSeries', method: 'GET', path: '/analytics/series', qs, itemIndex });
	}
	if (view === 'heatmap') return await metabotApiRequest(this, { operation: 'getAnalyticsHeatmap', method: 'GET', path: '/analytics/heatmap', qs, itemIndex });
	if (view === 'communications') return await metabotApiRequest(this, { operation: 'getAnalyticsByCommunication', method: 'GET', path: '/analytics/communications', qs, itemIndex });
	if (view === 'channels') return await metabotApiRequest(this, { operation: 'getAnalyticsByChannel', method: 'GET', path: '/analytics/channels', qs, itemIndex });
	return await metabotApiRequest(this, { operation: 'getAnalytics', method: 'GET', path: '/analytics', qs, itemIndex });
}
