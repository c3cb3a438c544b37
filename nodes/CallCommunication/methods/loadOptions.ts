export { getAliases } from '../../shared/loadOptions';
export { getPlaceholders, getTemplates } from './templates';
