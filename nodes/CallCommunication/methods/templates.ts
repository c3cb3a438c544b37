import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { metabotApiRequest } from '../../shared/transport';

/** The bot's library templates, each at its current version (`GET /bots/{botId}/templates`). */
export async function getTemplates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest(this, { operation: 'listTemplates', method: 'GET', path: '/templates' });
	return answer.templates.map((template) => ({
		name: template.name,
		value: template.name,
		description: `Version ${template.version}${template.comment ? `: ${template.comment}` : ''}`,
	}));
}

/** The names in the node's Template Parameters, when they are typed JSON (an expression is only known when the node runs). */
function paramNames(this: ILoadOptionsFunctions): string[] {
	const options = (this.getCurrentNodeParameter('options') ?? {}) as IDataObject;
	const params = options.params;
	if (typeof params === 'object' && params !== null) return Object.keys(params);
	if (typeof params !== 'string' || params.startsWith('=')) return [];
	try {
		const parsed: unknown = JSON.parse(params);
		return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
	} catch {
		return [];
	}
}

/**
 * What a template may use, written as it goes into a text: the messenger profile fields, the
 * attribute names the bot's leads carry, the user and the CRM profile field names its users carry
 * (`GET /bots/{botId}/template-placeholders`), then the names of this node's Template Parameters.
 */
export async function getPlaceholders(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest(this, { operation: 'listTemplatePlaceholders', method: 'GET', path: '/template-placeholders' });
	const known = answer.placeholders.map((placeholder) => ({ name: `[[ ${placeholder.path} ]]`, value: `[[ ${placeholder.path} ]]`, description: placeholder.description }));
	const params = paramNames.call(this).map((name) => {
		const placeholder = `[[ ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `params.${name}` : `params[${JSON.stringify(name)}]`} ]]`;
		return { name: placeholder, value: placeholder, description: 'From Template Parameters' };
	});
	const incomplete = answer.complete ? [] : [{ name: 'More Names May Exist', value: '', description: 'Only part of the leads and users was read; an attribute or profile field missing here may still be set' }];
	return [...known, ...params, ...incomplete];
}
