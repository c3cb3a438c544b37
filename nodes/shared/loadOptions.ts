import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { encodePath, metabotApiRequest } from './transport';

function toOptions(names: string[]): INodePropertyOptions[] {
	return [...new Set(names)].sort().map((name) => ({ name, value: name }));
}

/** Aliases of the bot's current endpoint map (`GET /bots/{botId}` → map.aliases). */
export async function getAliases(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest.call(this, { method: 'GET', path: '' });
	const map = answer.map as IDataObject | null;
	return toOptions(((map?.aliases as string[] | undefined) ?? []).map(String));
}

/** The bot's data tables. */
export async function getTables(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest.call(this, { method: 'GET', path: '/tables' });
	return toOptions(((answer.tables as IDataObject[] | undefined) ?? []).map((table) => String(table.name)));
}

/** Columns of the table chosen in the `table` parameter. */
export async function getColumns(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const table = this.getCurrentNodeParameter('table') as string | undefined;
	if (!table) return [];
	const answer = await metabotApiRequest.call(this, { method: 'GET', path: `/tables/${encodePath(table)}` });
	const columns = ((answer.table as IDataObject | undefined)?.columns as IDataObject[] | undefined) ?? [];
	return columns.map((column) => ({ name: String(column.name), value: String(column.name), description: String(column.type ?? '') }));
}
