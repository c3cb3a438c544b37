export { getAliases, getTopics } from '../../shared/loadOptions';
export { getPlaceholders, getTemplates } from './templates';
