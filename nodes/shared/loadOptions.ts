import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { metabotApiRequest } from './transport';

/** Names as options, each once, sorted, so the list reads the same however the backend orders it. */
export function toOptions(names: string[]): INodePropertyOptions[] {
	return [...new Set(names)].sort().map((name) => ({ name, value: name }));
}

/** Aliases of the bot's current endpoint map (`GET /bots/{botId}` → map.aliases). */
export async function getAliases(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest(this, { operation: 'getBot', method: 'GET', path: '' });
	const map = answer.map as IDataObject | null;
	return toOptions(((map?.aliases as string[] | undefined) ?? []).map(String));
}

/** The bot's topics (`GET /bots/{botId}/topics`, scope audiences), named with their member counts. */
export async function getTopics(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest(this, { operation: 'listTopics', method: 'GET', path: '/topics' });
	return answer.topics.map((topic) => ({ name: `${topic.name} (${topic.key})`, value: topic.key, description: `${topic.members} members` }));
}
